"""Every input ``send_image`` and ``send_file`` accept or refuse, through a real meeting server.

Accepted inputs are sent, then downloaded from the server's file host and compared with
what should have been uploaded. Refused inputs raise in the calling thread with an error
naming the widget's own method, and nothing is sent.
"""

from __future__ import annotations

import importlib.util
import io
import json

import httpx
import matplotlib
import pandas as pd
import pytest
from PIL import Image

from rtk_widget import Meeting
from rtk_widget.client.errors import EmptyMessageError, UnsupportedImageTypeError, UploadError
from rtk_widget.client.messages import FileMessage, ImageMessage
from rtk_widget.client.sources import UPLOAD_LIMIT_BYTES

from .support import png

matplotlib.use("Agg")
from matplotlib.figure import Figure

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
JPEG_SIGNATURE = b"\xff\xd8\xff"


def download(meeting: Meeting, link: str) -> bytes:
    response = httpx.get(link, headers=meeting.credentials_for(link), timeout=10)
    response.raise_for_status()
    return response.content


def small_figure() -> Figure:
    figure = Figure(figsize=(2, 1.5))
    figure.add_subplot().plot([1, 3, 2])
    return figure


def jpeg_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (3, 3), "green").save(buffer, format="JPEG")
    return buffer.getvalue()


class RendersPng:
    """Any object with IPython's ``_repr_png_`` hook."""

    def _repr_png_(self) -> bytes:
        return png(4, 4)


class RendersJpeg:
    def _repr_jpeg_(self) -> bytes:
        return jpeg_bytes()


# ----- send_image: accepted -----


def test_send_image_takes_a_path_as_str_or_pathlib(widget, ada, tmp_path):
    path = tmp_path / "plot.png"
    path.write_bytes(png())
    for source in (str(path), path):
        message = widget.send_image(source)
        assert isinstance(message, ImageMessage)
        assert message.link.endswith("/plot.png")
        assert download(ada, message.link) == png()


def test_send_image_names_bytes_and_unnamed_file_objects_by_their_magic_bytes(widget, ada):
    as_bytes = widget.send_image(png())
    assert as_bytes.link.endswith("/image.png")
    as_jpeg_stream = widget.send_image(io.BytesIO(jpeg_bytes()))
    assert as_jpeg_stream.link.endswith("/image.jpg")
    assert download(ada, as_jpeg_stream.link) == jpeg_bytes()
    named = widget.send_image(bytearray(png()), name="chart.png")
    assert named.link.endswith("/chart.png")


def test_send_image_takes_an_open_file_and_a_name_bytes_pair(widget, ada, tmp_path):
    path = tmp_path / "photo.gif"
    gif = b"GIF89a" + bytes(20)
    path.write_bytes(gif)
    with path.open("rb") as handle:
        message = widget.send_image(handle)
    assert message.link.endswith("/photo.gif")
    assert download(ada, message.link) == gif
    assert widget.send_image(("pair.png", png())).link.endswith("/pair.png")


def test_send_image_renders_a_matplotlib_figure_as_png(widget, ada):
    message = widget.send_image(small_figure())
    assert message.link.endswith("/figure.png")
    data = download(ada, message.link)
    assert data.startswith(PNG_SIGNATURE)
    assert Image.open(io.BytesIO(data)).size[0] > 50


def test_send_image_takes_the_axes_a_plot_was_drawn_on(widget, ada):
    axes = small_figure().axes[0]
    message = widget.send_image(axes)
    assert message.link.endswith("/figure.png")
    assert download(ada, message.link).startswith(PNG_SIGNATURE)


def test_send_image_saves_a_pil_image_in_a_format_the_chat_accepts(widget, ada):
    red = Image.new("RGB", (5, 4), "red")
    as_png = widget.send_image(red)
    assert as_png.link.endswith("/image.png")
    decoded = Image.open(io.BytesIO(download(ada, as_png.link)))
    assert (decoded.format, decoded.size, decoded.getpixel((0, 0))) == ("PNG", (5, 4), (255, 0, 0))
    # A JPEG keeps its format; a CMYK image (PNG cannot hold it) is converted; RGBA asked as JPEG too.
    jpeg = Image.open(io.BytesIO(jpeg_bytes()))
    assert download(ada, widget.send_image(jpeg).link).startswith(JPEG_SIGNATURE)
    cmyk = widget.send_image(Image.new("CMYK", (2, 2)))
    assert download(ada, cmyk.link).startswith(PNG_SIGNATURE)
    rgba_as_jpeg = widget.send_image(Image.new("RGBA", (2, 2)), name="photo.jpg")
    assert rgba_as_jpeg.link.endswith("/photo.jpg")
    assert download(ada, rgba_as_jpeg.link).startswith(JPEG_SIGNATURE)


def test_send_image_takes_anything_with_repr_png_or_repr_jpeg(widget, ada):
    assert download(ada, widget.send_image(RendersPng()).link) == png(4, 4)
    jpeg = widget.send_image(RendersJpeg())
    assert jpeg.link.endswith("/image.jpg")
    assert download(ada, jpeg.link) == jpeg_bytes()


# ----- send_image: refused -----


def test_send_image_refuses_other_types_listing_what_it_takes(widget):
    with pytest.raises(TypeError) as refused:
        widget.send_image(42)
    assert str(refused.value) == (
        "ChatWidget.send_image() takes a path, bytes, a file object, a matplotlib Figure, a PIL Image "
        "or an object with _repr_png_; got int")
    with pytest.raises(TypeError, match=r"got DataFrame \(send it with ChatWidget.send_file\(\)\)"):
        widget.send_image(pd.DataFrame({"a": [1]}))
    with pytest.raises(TypeError, match="got NoneType"):
        widget.send_image(None)
    assert widget.messages == []


def test_send_image_refuses_a_missing_path_and_non_images_naming_the_widget(widget, tmp_path):
    with pytest.raises(FileNotFoundError, match=r"ChatWidget.send_image\(\): no such file: 'nope.png'"):
        widget.send_image("nope.png")
    with pytest.raises(FileNotFoundError, match=r"ChatWidget\.send_image"):
        widget.send_image(tmp_path / "missing.png")
    fake = tmp_path / "fake.png"
    fake.write_bytes(b"BM not really an image")
    with pytest.raises(UnsupportedImageTypeError) as refused:
        widget.send_image(fake)
    assert "ChatWidget.send_image(): fake.png is not a JPEG, PNG or GIF" in str(refused.value)
    assert "ChatWidget.send_file()" in str(refused.value)
    assert "send_file_message" not in str(refused.value)
    with pytest.raises(ValueError, match=r"ChatWidget.send_image\(\): these bytes need a file name"):
        widget.send_image(b"not an image")
    with pytest.raises(EmptyMessageError, match=r"ChatWidget\.send_image"):
        widget.send_image(b"")
    with pytest.raises(TypeError, match="name= must be a non-empty str"):
        widget.send_image(png(), name=7)  # type: ignore[arg-type]
    assert widget.messages == []


def test_sizes_are_checked_against_the_limit_before_anything_is_read_or_sent(widget, tmp_path):
    huge = tmp_path / "huge.png"
    with huge.open("wb") as handle:  # sparse: the size is known without writing 50 MB
        handle.truncate(UPLOAD_LIMIT_BYTES + 1)
    with pytest.raises(UploadError) as refused:
        widget.send_image(huge)
    assert str(refused.value) == (
        f"ChatWidget.send_image(): huge.png is {UPLOAD_LIMIT_BYTES + 1:,} bytes; "
        f"the upload limit is {UPLOAD_LIMIT_BYTES:,} bytes")
    with pytest.raises(UploadError, match=r"ChatWidget.send_file\(\): huge.png is"):
        widget.send_file(str(huge))

    class Counting(io.RawIOBase):
        """An endless stream that counts what it hands out."""

        handed = 0

        def readable(self) -> bool:
            return True

        def read(self, size: int = -1) -> bytes:
            assert size > 0, "an unbounded read of an endless stream"
            Counting.handed += size
            return b"x" * size

    with pytest.raises(UploadError, match="larger than the upload limit"):
        widget.send_file(Counting(), name="stream.bin")
    assert Counting.handed == UPLOAD_LIMIT_BYTES + 1
    assert widget.messages == []


# ----- send_file: accepted -----


def test_send_file_takes_a_path_bytes_and_file_objects(widget, ada, tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("a note")
    by_path = widget.send_file(str(path))
    assert (by_path.name, by_path.size) == ("notes.txt", 6)
    renamed = widget.send_file(path, name="renamed.txt")
    assert renamed.name == "renamed.txt"
    assert download(ada, renamed.link) == b"a note"
    assert widget.send_file(b"\x00\x01", name="raw.bin").size == 2
    assert widget.send_file(io.BytesIO(b"abc"), name="stream.bin").name == "stream.bin"
    text_stream = widget.send_file(io.StringIO("caf\u00e9"), name="cafe.txt")
    assert download(ada, text_stream.link) == "caf\u00e9".encode()
    assert widget.send_file(png()).name == "image.png"


def test_send_file_sends_text_with_name_as_its_content(widget, ada, tmp_path, monkeypatch):
    csv = "week,signups\n1,12\n2,19\n"
    message = widget.send_file(csv, name="signups.csv")
    assert isinstance(message, FileMessage)
    assert download(ada, message.link) == csv.encode()
    # One line that is not an existing file is content too; one that is a file is that file.
    monkeypatch.chdir(tmp_path)
    assert download(ada, widget.send_file("just one line", name="line.txt").link) == b"just one line"
    (tmp_path / "data.txt").write_text("from disk")
    assert download(ada, widget.send_file("data.txt", name="copy.txt").link) == b"from disk"


def test_send_file_writes_a_dataframe_as_csv_by_default_and_by_extension(widget, ada):
    frame = pd.DataFrame({"week": [1, 2], "signups": [12, 19]})
    as_csv = widget.send_file(frame)
    assert as_csv.name == "data.csv"
    assert download(ada, as_csv.link) == b"week,signups\n1,12\n2,19\n"
    as_tsv = widget.send_file(frame, name="weeks.tsv")
    assert download(ada, as_tsv.link) == b"week\tsignups\n1\t12\n2\t19\n"
    as_json = widget.send_file(frame, name="weeks.json")
    assert json.loads(download(ada, as_json.link)) == [{"week": 1, "signups": 12}, {"week": 2, "signups": 19}]
    indexed = widget.send_file(frame.set_index("week"), name="indexed.csv")
    assert download(ada, indexed.link) == b"week,signups\n1,12\n2,19\n"
    assert download(ada, widget.send_file(frame["signups"]).link) == b"signups\n12\n19\n"


@pytest.mark.parametrize(
    ("suffix", "library", "magic"), [(".parquet", "pyarrow", b"PAR1"), (".xlsx", "openpyxl", b"PK")]
)
def test_send_file_writes_parquet_and_excel_when_their_library_is_there(widget, ada, suffix, library, magic):
    frame = pd.DataFrame({"a": [1]})
    if importlib.util.find_spec(library) is None:
        needs = rf"ChatWidget.send_file\(\): writing data{suffix} needs {library}"
        with pytest.raises(ImportError, match=needs):
            widget.send_file(frame, name=f"data{suffix}")
        assert widget.messages == []
    else:
        assert download(ada, widget.send_file(frame, name=f"data{suffix}").link).startswith(magic)


def test_send_file_takes_figures_in_the_format_the_name_asks(widget, ada):
    as_png = widget.send_file(small_figure())
    assert as_png.name == "figure.png"
    assert download(ada, as_png.link).startswith(PNG_SIGNATURE)
    as_svg = widget.send_file(small_figure(), name="plot.svg")
    assert b"<svg" in download(ada, as_svg.link)


# ----- send_file: refused -----


def test_send_file_refuses_other_types_and_unnamed_or_missing_inputs(widget):
    for value, kind in ((3.5, "float"), ({"a": 1}, "dict"), (None, "NoneType")):
        with pytest.raises(TypeError) as refused:
            widget.send_file(value)
        assert str(refused.value) == (
            "ChatWidget.send_file() takes a path, bytes, a file object, text with name=, a pandas DataFrame, "
            f"a matplotlib Figure, a PIL Image or an object with _repr_png_; got {kind}")
    with pytest.raises(FileNotFoundError, match=r"no such file: 'week,signups\\n1,12'.*add name="):
        widget.send_file("week,signups\n1,12")
    with pytest.raises(ValueError, match=r"ChatWidget.send_file\(\): these bytes need a file name"):
        widget.send_file(b"week,signups")
    with pytest.raises(ValueError, match=r"ChatWidget.send_file\(\): these bytes need a file name"):
        widget.send_file(io.BytesIO(b"unnamed"))
    with pytest.raises(ValueError, match=r"a DataFrame is sent as .csv, .tsv, .json, .parquet or .xlsx"):
        widget.send_file(pd.DataFrame({"a": [1]}), name="report.docx")
    with pytest.raises(EmptyMessageError, match=r"ChatWidget.send_file\(\): empty.txt is empty"):
        widget.send_file("", name="empty.txt")
    assert widget.messages == []


def test_edit_image_and_edit_file_take_the_same_inputs_and_name_themselves(widget, ada):
    picture = widget.send_image(png())
    edited = widget.edit_image(picture.id, Image.new("RGB", (2, 2), "blue"))
    assert edited.is_edited
    assert download(ada, edited.link).startswith(PNG_SIGNATURE)
    with pytest.raises(TypeError, match=r"^ChatWidget.edit_image\(\) takes"):
        widget.edit_image(picture.id, 1)
    report = widget.send_file("a,b\n", name="r.csv")
    edited_file = widget.edit_file(report.id, pd.DataFrame({"a": [2]}), name="r.csv")
    assert download(ada, edited_file.link) == b"a\n2\n"


def test_the_client_takes_the_same_inputs_and_names_its_own_methods(ada):
    message = ada.chat.send_image_message(Image.new("RGB", (2, 2)))
    assert download(ada, message.link).startswith(PNG_SIGNATURE)
    assert ada.chat.send_file_message(pd.DataFrame({"a": [1]})).name == "data.csv"
    with pytest.raises(TypeError, match=r"^meeting.chat.send_image_message\(\) takes"):
        ada.chat.send_image_message(42)
    with pytest.raises(UnsupportedImageTypeError, match=r"send it with meeting.chat.send_file_message\(\)"):
        ada.chat.send_image_message(b"BM", name="x.bmp")

