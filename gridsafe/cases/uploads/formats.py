"""What an upload can be: the accepted file types, size and decode defaults, the messages a rejection carries,
and `UploadInfo`. Registers the HEIC opener with Pillow (process-wide, idempotent) before any module here opens an
image."""

from dataclasses import dataclass

import pillow_heif

from gridsafe.core.errors import RateLimited, ValidationFailed

# Lets Pillow open HEIC/HEIF (process-wide and idempotent). The installed wheel decodes HEVC (libde265) and can
# also encode it (x265); it has no AV1 codec, so AVIF is not accepted (Pillow's own AVIF plugin is never used here).
pillow_heif.register_heif_opener()

MiB = 1024 * 1024
CHUNK_SIZE = MiB
DEFAULT_UPLOAD_MAX_BYTES = 20 * MiB
DEFAULT_VIDEO_MAX_BYTES = 100 * MiB
DEFAULT_MAX_IMAGE_PIXELS = 50_000_000
DEFAULT_MAX_DECODE_BYTES = 256 * MiB
DEFAULT_MAX_CONCURRENT_DECODES = 2
DEFAULT_DECODE_WAIT_SECONDS = 3.0
_SNIFF_BYTES = 4096  # enough for every signature and for the compatible-brand list of an `ftyp` box

ORIENTATION_TAG = 0x0112

MSG_EMPTY = "文件为空，请重新选择文件"
MSG_UNSUPPORTED = "文件类型不受支持：仅接受 JPEG、PNG、WebP、HEIC 图片，MP4/MOV 视频和 PDF 文档"
MSG_AVIF = "文件类型不受支持：暂不接受 AVIF 图片，请使用 JPEG、PNG、WebP 或 HEIC 格式"
MSG_TOO_LARGE = "文件过大：最大 {limit}"
MSG_TOO_MANY_PIXELS = "图片尺寸过大：{width}×{height} 像素，最多允许 {limit} 万像素"
MSG_CORRUPT_IMAGE = "图片已损坏，无法解码"
MSG_IMAGE_TRAILER = "图片文件末尾附带了无法识别的额外数据（例如压缩包或网页），出于安全原因已拒绝"
MSG_CORRUPT_VIDEO = "视频文件已损坏或不完整，请重新上传"
MSG_PDF_NO_EOF = "PDF 文件不完整或已损坏：缺少 %%EOF 结束标记"
MSG_PDF_ACTIVE = "PDF 文件包含脚本或启动程序的动作（/JavaScript、/JS、/Launch），出于安全原因已拒绝"
MSG_PDF_BOMB = "PDF 文件中的压缩数据异常庞大，已拒绝"
MSG_DECODE_TOO_LARGE = (
    "图片解码所需内存过大：{width}×{height} 像素、每像素 {bpp} 字节，约需 {need} MB，最多允许 {limit} MB。"
    "请转换为普通 8 位 JPEG 或缩小尺寸后再上传"
)
MSG_DECODER_BUSY = "服务器正在处理其他图片，请稍后重试"
MSG_PDF_REFUSED = (
    "PDF 文件包含脚本、外部链接、启动程序、表单提交、嵌入文件或多媒体等主动内容（{what}），出于安全原因已拒绝"
)
MSG_PDF_ENCRYPTED = "PDF 文件已加密或设置了密码，无法检查其内容，请上传未加密的 PDF"
MSG_PDF_UNREADABLE = "PDF 文件已损坏或格式不规范，无法解析，请重新导出后上传"
MSG_PDF_TOO_COMPLEX = "PDF 文件结构过于复杂（对象或页数过多），无法检查，已拒绝"


class DecoderBusy(RateLimited):
    """Every decode slot of this process stayed taken for the whole wait: the client retries later (503)."""

    status = 503
    code = "server_busy"


@dataclass(frozen=True)
class UploadInfo:
    content_type: str  # from the CONTENT (magic bytes), never from the client's declared type or file name
    kind: str  # "image" | "video" | "document"
    extension: str  # ".jpg", ".png", ".webp", ".heic", ".mp4", ".mov", ".pdf"
    size: int
    sha256: str  # hex, of the bytes exactly as received
    width: int | None  # images only: as displayed, i.e. after the EXIF orientation is applied
    height: int | None


@dataclass(frozen=True)
class _FileType:
    content_type: str
    kind: str
    extension: str
    pil_format: str | None = None  # Pillow plugin allowed to open it; images only


JPEG = _FileType("image/jpeg", "image", ".jpg", "JPEG")
PNG = _FileType("image/png", "image", ".png", "PNG")
WEBP = _FileType("image/webp", "image", ".webp", "WEBP")
HEIC = _FileType("image/heic", "image", ".heic", "HEIF")
MP4 = _FileType("video/mp4", "video", ".mp4")
MOV = _FileType("video/quicktime", "video", ".mov")
PDF = _FileType("application/pdf", "document", ".pdf")

_IMAGE_FORMATS = [t.pil_format for t in (JPEG, PNG, WEBP, HEIC)]

# ISO-BMFF major brands (the first brand of the `ftyp` box decides; compatible brands only disambiguate AVIF).
_HEIC_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"hevm", b"hevs", b"mif1", b"msf1"}
_AVIF_BRANDS = {b"avif", b"avis"}
_MP4_BRANDS = {b"isom", b"mp41", b"mp42", b"avc1", b"M4V ", b"mmp4", b"MSNV"} | {b"iso%d" % n for n in range(2, 10)}
_QT_BRANDS = {b"qt  "}


def _fail(message: str, reason: str, **extra) -> ValidationFailed:
    return ValidationFailed(message, reason=reason, **extra)
