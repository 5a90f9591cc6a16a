"""What a caller may hand to ``send_image``/``send_file``, turned into bytes with a name and a type.

Paths, bytes, file objects, text (with ``name=``), pandas DataFrames, matplotlib
figures (or the Axes drawn on one), PIL images and anything with ``_repr_png_``/``_repr_jpeg_`` all become an
:class:`UploadFile`. The reading happens where it is called (a notebook cell's
thread), and every check (type, emptiness, size limit, image format) runs before
a byte is uploaded, with an error that names the method the caller used.

matplotlib, PIL and pandas are optional: they are recognised by the module their
type comes from and never imported here.

Which ``str`` is a path: a string is read as a file path when such a file exists
and the string has no line break; otherwise, given ``name=``, ``send_file`` sends
the string itself (UTF-8) as the file's content.
"""

from __future__ import annotations

import base64
import binascii
import io
import mimetypes
import os
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from rtk_widget.client.errors import EmptyMessageError, UnsupportedImageTypeError, UploadError
from rtk_widget.wire import limits

FileSource = str | os.PathLike[str] | bytes | bytearray | IO[bytes] | tuple[str, bytes]
"""A path, bytes (with ``name=``), a binary file object, or ``(name, bytes)``; ``send_image`` and
``send_file`` also take the richer objects this module describes."""

UPLOAD_LIMIT_BYTES = limits.MAX_UPLOAD_BYTES

IMAGE_INPUTS = "a path, bytes, a file object, a matplotlib Figure, a PIL Image or an object with _repr_png_"
FILE_INPUTS = ("a path, bytes, a file object, text with name=, a pandas DataFrame, "
               "a matplotlib Figure, a PIL Image or an object with _repr_png_")
FRAME_FORMATS = (".csv", ".tsv", ".json", ".parquet", ".xlsx")
"""File types a DataFrame can be sent as (the name's extension picks one; .csv by default)."""

_IMAGE_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)
_IMAGE_EXTENSIONS = {"image/jpeg": ".jpg", "image/png": ".png", "image/gif": ".gif"}
_PIL_FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".gif": "GIF"}


@dataclass(frozen=True, slots=True)
class UploadFile:
    """A file ready to upload."""

    name: str
    data: bytes
    mime: str

    @property
    def size(self) -> int:
        """Size in bytes."""
        return len(self.data)

    def as_source(self) -> tuple[str, bytes]:
        """``(name, bytes)``: what the chat's send and edit calls take, read again at no cost."""
        return self.name, self.data


@dataclass(frozen=True, slots=True)
class Caller:
    """How the caller's API names its image and file methods, for error messages."""

    image: str
    file: str


CHAT = Caller("meeting.chat.send_image_message()", "meeting.chat.send_file_message()")


def image_mime(data: bytes) -> str | None:
    """``image/jpeg``, ``image/png`` or ``image/gif`` from the magic bytes; None for anything else."""
    for signature, mime in _IMAGE_SIGNATURES:
        if data.startswith(signature):
            return mime
    return None


def image_upload(source: object, name: str | None = None, *, caller: Caller = CHAT,
                 max_bytes: int = UPLOAD_LIMIT_BYTES) -> UploadFile:
    """Read an image the caller passed; it must be a JPEG, PNG or GIF (checked on its bytes)."""
    if is_dataframe(source):
        raise TypeError(f"{caller.image} takes {IMAGE_INPUTS}; got DataFrame (send it with {caller.file})")
    if isinstance(source, str) and not _is_path(source):
        raise FileNotFoundError(_no_such_file(caller.image, source))
    return as_image(_read(source, name, caller.image, IMAGE_INPUTS, max_bytes), caller)


def file_upload(source: object, name: str | None = None, *, caller: Caller = CHAT,
                max_bytes: int = UPLOAD_LIMIT_BYTES) -> UploadFile:
    """Read a file the caller passed (see the module docstring for what it may be)."""
    return _read(source, name, caller.file, FILE_INPUTS, max_bytes)


def as_image(upload: UploadFile, caller: Caller = CHAT) -> UploadFile:
    """Check that ``upload`` really is a JPEG, PNG or GIF (by its bytes) and set the true type."""
    mime = image_mime(upload.data)
    if mime is None:
        raise UnsupportedImageTypeError(
            f"{caller.image}: {upload.name} is not a JPEG, PNG or GIF image (checked its bytes); "
            f"send it with {caller.file}, or convert it (a PIL Image is converted for you)")
    return UploadFile(name=upload.name, data=upload.data, mime=mime)


# ----- reading -----


def _read(source: object, name: str | None, api: str, accepted: str, max_bytes: int) -> UploadFile:
    if name is not None and (not isinstance(name, str) or not name.strip()):
        raise TypeError(f"{api}: name= must be a non-empty str, got {name!r}")
    if isinstance(source, tuple) and len(source) == 2 and isinstance(source[0], str):
        name, source = name or source[0], source[1]
    data: bytes
    if isinstance(source, bytes | bytearray | memoryview):
        data = bytes(source)
        name = name or (_default_name(data, api) if data else "the data")
    elif isinstance(source, str) and not _is_path(source):
        if not name:
            raise FileNotFoundError(_no_such_file(api, source) + " (to send this text as a file, add name=)")
        data = source.encode("utf-8")
    elif isinstance(source, str | os.PathLike):
        path = Path(source)
        if not path.is_file():
            raise FileNotFoundError(_no_such_file(api, str(source)))
        _check_size(api, name or path.name, path.stat().st_size, max_bytes)
        data, name = path.read_bytes(), name or path.name
    elif is_dataframe(source):
        name = name or "data.csv"
        data = _frame_bytes(source, name, api)
    elif _is_figure(source):
        name = name or "figure.png"
        data = _figure_bytes(_figure_of(source), name, api)
    elif _is_pil_image(source):
        data, default = _pil_bytes(source, name)
        name = name or default
    elif (rendered := _rendered_image(source)) is not None:
        data = rendered
        name = name or _default_name(data, api)
    elif callable(getattr(source, "read", None)):
        data = _read_file_object(source, api, max_bytes)
        name = name or _file_object_name(source) or (_default_name(data, api) if data else "the file")
    else:
        raise TypeError(f"{api} takes {accepted}; got {type(source).__name__}")
    if not data:
        raise EmptyMessageError(f"{api}: {name} is empty")
    _check_size(api, name, len(data), max_bytes)
    mime = image_mime(data) or mimetypes.guess_type(name)[0] or "application/octet-stream"
    return UploadFile(name=name, data=data, mime=mime)


def _is_path(text: str) -> bool:
    if "\n" in text or not text:
        return False
    try:
        return Path(text).is_file()
    except (OSError, ValueError):  # too long for a file name, or a NUL byte: not a path
        return False


def _no_such_file(api: str, text: str) -> str:
    shown = text if len(text) <= 60 else text[:57] + "..."
    return f"{api}: no such file: {shown!r}"


def _check_size(api: str, name: str, size: int, max_bytes: int) -> None:
    if size > max_bytes:
        raise UploadError(f"{api}: {name} is {size:,} bytes; the upload limit is {max_bytes:,} bytes")


def _default_name(data: bytes, api: str) -> str:
    mime = image_mime(data)
    if mime is None:
        raise ValueError(f"{api}: these bytes need a file name: pass name=, e.g. name='results.csv'")
    return "image" + _IMAGE_EXTENSIONS[mime]


def _read_file_object(source: Any, api: str, max_bytes: int) -> bytes:
    # One byte past the limit is enough to know it is too large, without reading it all.
    data = source.read(max_bytes + 1)
    if isinstance(data, str):
        return data.encode("utf-8")
    if not isinstance(data, bytes | bytearray):
        raise TypeError(f"{api}: the file object's read() returned {type(data).__name__}, not bytes")
    if len(data) > max_bytes:
        name = _file_object_name(source) or "the file"
        raise UploadError(f"{api}: {name} is larger than the upload limit of {max_bytes:,} bytes")
    return bytes(data)


def _file_object_name(source: Any) -> str:
    name = getattr(source, "name", None)
    return Path(name).name if isinstance(name, str) else ""


def _from_module(source: object, package: str) -> bool:
    module = type(source).__module__ or ""
    return module == package or module.startswith(package + ".")


def is_dataframe(source: object) -> bool:
    """True for a pandas DataFrame or Series (recognised without importing pandas)."""
    return _from_module(source, "pandas") and hasattr(source, "to_csv")


def is_image_object(source: object) -> bool:
    """True for a matplotlib figure, a PIL image, or an object with ``_repr_png_``/``_repr_jpeg_``."""
    return (_is_figure(source) or _is_pil_image(source) or callable(getattr(source, "_repr_png_", None))
            or callable(getattr(source, "_repr_jpeg_", None)))


def _is_figure(source: object) -> bool:
    """A matplotlib figure, or what draws on one (Axes, a seaborn grid): their ``.figure`` is sent."""
    if _from_module(source, "matplotlib") and hasattr(source, "savefig"):
        return True
    figure = getattr(source, "figure", None)
    return figure is not source and _from_module(figure, "matplotlib") and hasattr(figure, "savefig")


def _figure_of(source: Any) -> Any:
    return source if hasattr(source, "savefig") and _from_module(source, "matplotlib") else source.figure


def _is_pil_image(source: object) -> bool:
    return _from_module(source, "PIL") and hasattr(source, "save")


def _frame_bytes(frame: Any, name: str, api: str) -> bytes:
    suffix = Path(name).suffix.lower()
    if suffix not in FRAME_FORMATS:
        formats = ", ".join(FRAME_FORMATS[:-1]) + " or " + FRAME_FORMATS[-1]
        raise ValueError(f"{api}: a DataFrame is sent as {formats} (the name's extension picks one); "
                         f"got name={name!r}")
    if hasattr(frame, "to_frame") and not hasattr(frame, "columns"):  # a Series
        frame = frame.to_frame()
    # A default 0..n-1 index carries nothing; a named or meaningful one is kept as a column.
    index = not (type(frame.index).__name__ == "RangeIndex" and frame.index.name is None)
    if suffix in (".csv", ".tsv"):
        return str(frame.to_csv(index=index, sep="\t" if suffix == ".tsv" else ",")).encode("utf-8")
    if suffix == ".json":
        data = frame.reset_index() if index else frame
        return str(data.to_json(orient="records", date_format="iso")).encode("utf-8")
    buffer = io.BytesIO()
    try:
        if suffix == ".parquet":
            frame.to_parquet(buffer, index=index)
        else:
            frame.to_excel(buffer, index=index)
    except ImportError as exc:
        library = "pyarrow" if suffix == ".parquet" else "openpyxl"
        raise ImportError(f"{api}: writing {name} needs {library} (pip install {library}); "
                          f"or send the DataFrame as .csv or .json") from exc
    return buffer.getvalue()


def _figure_bytes(figure: Any, name: str, api: str) -> bytes:
    image_format = Path(name).suffix.lower().lstrip(".") or "png"
    buffer = io.BytesIO()
    try:
        figure.savefig(buffer, format=image_format, bbox_inches="tight")
    except ValueError as exc:  # matplotlib's answer to a format it cannot write
        raise ValueError(f"{api}: cannot save the figure as {name!r}: {exc}") from exc
    return buffer.getvalue()


def _pil_bytes(image: Any, name: str | None) -> tuple[bytes, str]:
    wanted = _PIL_FORMATS.get(Path(name).suffix.lower()) if name else None
    image_format = wanted or (image.format if image.format in ("PNG", "JPEG", "GIF") else "PNG")
    # JPEG has no alpha or palette, PNG no CMYK: convert to what the format can hold.
    if image_format == "JPEG" and image.mode not in ("RGB", "L"):
        image = image.convert("RGB")
    elif image_format == "PNG" and image.mode not in ("1", "L", "LA", "P", "RGB", "RGBA", "I", "I;16"):
        image = image.convert("RGBA")
    buffer = io.BytesIO()
    image.save(buffer, format=image_format)
    return buffer.getvalue(), "image" + (".jpg" if image_format == "JPEG" else "." + image_format.lower())


def _rendered_image(source: object) -> bytes | None:
    """The bytes of IPython's rich display hooks ``_repr_png_``/``_repr_jpeg_``, if the object has one."""
    for hook in ("_repr_png_", "_repr_jpeg_"):
        method = getattr(source, hook, None)
        if not callable(method):
            continue
        rendered = method()
        if isinstance(rendered, tuple):  # (data, metadata)
            rendered = rendered[0]
        if isinstance(rendered, str):  # some objects return base64 text
            try:
                rendered = base64.b64decode(rendered, validate=True)
            except binascii.Error:
                continue
        if isinstance(rendered, bytes | bytearray) and rendered:
            return bytes(rendered)
    return None
