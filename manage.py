#!/usr/bin/env python
import sys

from gridsafe.cli import manage

if __name__ == "__main__":
    manage(sys.argv)
