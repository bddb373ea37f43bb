"""Local media storage that fsyncs: an acknowledged upload is on disk, not in the page cache."""

import os

from django.core.files.storage import FileSystemStorage


class DurableFileSystemStorage(FileSystemStorage):
    def _save(self, name, content):
        name = super()._save(name, content)
        full_path = self.path(name)
        fd = os.open(full_path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        dir_fd = os.open(os.path.dirname(full_path), os.O_RDONLY)
        try:
            os.fsync(dir_fd)  # the directory entry too, or a crash can lose the new name
        finally:
            os.close(dir_fd)
        return name
