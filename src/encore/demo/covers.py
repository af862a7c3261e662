"""Cover art for the demo's albums, drawn here: a picture from one of ffmpeg's generators and the
album's name lettered over it, encoded as JPEG. Each album has its own picture."""

import subprocess
from pathlib import Path

from encore.demo import lettering
from encore.demo.repertoire import RELEASES, Release

SIZE = 600
_MARGIN = 30
_TIMEOUT_S = 60


def _painted(r: str, g: str, b: str) -> str:
    """A picture painted pixel by pixel, each channel an expression of X and Y on a 600-pixel
    square. It is painted at half size, which takes a quarter of the time, then scaled up."""
    half = SIZE // 2

    def scaled(channel: str) -> str:
        return channel.replace("X", "(2*X)").replace("Y", "(2*Y)")

    return (
        f"color=c=black:s={half}x{half}:r=1:d=1,format=rgb24,"
        f"geq=r='{scaled(r)}':g='{scaled(g)}':b='{scaled(b)}',"
        f"scale={SIZE}:{SIZE}:flags=lanczos"
    )


# One picture per album, in `RELEASES` order.
PICTURES = (
    # Tidal Glass: a pale moon over rippling water.
    _painted(
        "if(lt(hypot(X-420,Y-160),58),225,12+40*Y/600+35*gt(Y,300)*(0.5+0.5*sin(Y/7+5*sin(X/60+Y/90))))",
        "if(lt(hypot(X-420,Y-160),58),232,35+110*Y/600+60*gt(Y,300)*(0.5+0.5*sin(Y/7+5*sin(X/60+Y/90))))",
        "if(lt(hypot(X-420,Y-160),58),240,80+110*Y/600+45*gt(Y,300)*(0.5+0.5*sin(Y/7+5*sin(X/60+Y/90))))",
    ),
    # Night Drive Cartography: a striped sun going down behind a neon grid.
    _painted(
        "if(lt(Y,372),if(lt(hypot(X-300,Y-290),150)*not(gt(Y,300)*lt(mod(Y,22),(Y-290)/10)),255,"
        "40+215*Y/372),if(lt(abs(mod((X-300)/((Y-372)/228+0.02)+30,60)-30),1.6/((Y-372)/228+0.02))"
        "+lt(mod(6/((Y-372)/228+0.05),1),0.12),255,22))",
        "if(lt(Y,372),if(lt(hypot(X-300,Y-290),150)*not(gt(Y,300)*lt(mod(Y,22),(Y-290)/10)),"
        "230-160*(Y-140)/232,10+70*Y/372),if(lt(abs(mod((X-300)/((Y-372)/228+0.02)+30,60)-30),"
        "1.6/((Y-372)/228+0.02))+lt(mod(6/((Y-372)/228+0.05),1),0.12),50,6))",
        "if(lt(Y,372),if(lt(hypot(X-300,Y-290),150)*not(gt(Y,300)*lt(mod(Y,22),(Y-290)/10)),"
        "90+60*(Y-140)/232,80+50*Y/372),if(lt(abs(mod((X-300)/((Y-372)/228+0.02)+30,60)-30),"
        "1.6/((Y-372)/228+0.02))+lt(mod(6/((Y-372)/228+0.05),1),0.12),210,45))",
    ),
    # Sunday Crosswords: a crossword grid with a coffee ring on it.
    _painted(
        "if(lt(mod(X,60),4)+lt(mod(Y,60),4)+lt(mod(floor(abs(sin(floor(X/60)*12.9898+floor(Y/60)"
        "*78.233))*43758.5453),100),22),30,240)-70*lt(abs(hypot(X-210,Y-330)-110),7)",
        "if(lt(mod(X,60),4)+lt(mod(Y,60),4)+lt(mod(floor(abs(sin(floor(X/60)*12.9898+floor(Y/60)"
        "*78.233))*43758.5453),100),22),28,228)-100*lt(abs(hypot(X-210,Y-330)-110),7)",
        "if(lt(mod(X,60),4)+lt(mod(Y,60),4)+lt(mod(floor(abs(sin(floor(X/60)*12.9898+floor(Y/60)"
        "*78.233))*43758.5453),100),22),35,200)-120*lt(abs(hypot(X-210,Y-330)-110),7)",
    ),
    # Eight Lives: a game of life, cells fading into mould, in big pixels.
    "life=s=50x50:rate=25:ratio=0.35:seed=8:mold=20:life_color=#ffd23f:death_color=#1b1035"
    f":mold_color=#ee4266,trim=start_frame=24,format=rgb24,scale={SIZE}:{SIZE}:flags=neighbor",
    # Salt & Cedar: wood grain.
    _painted(
        "140+60*(0.5+0.5*sin(hypot((X-260)*0.7,Y+500)/6+2.5*sin(X/53)+sin(Y/31)))",
        "88+40*(0.5+0.5*sin(hypot((X-260)*0.7,Y+500)/6+2.5*sin(X/53)+sin(Y/31)))",
        "52+22*(0.5+0.5*sin(hypot((X-260)*0.7,Y+500)/6+2.5*sin(X/53)+sin(Y/31)))",
    ),
    # Concrete Bloom: deep in the Mandelbrot set, in cold green.
    f"mandelbrot=s={SIZE}x{SIZE}:start_x=-0.743643887:start_y=0.131825904:start_scale=0.0015"
    ":end_scale=0.0015:maxiter=400:outer=normalized_iteration_count:inner=black"
    ",trim=end_frame=1,format=rgb24"
    ",colorchannelmixer=rr=0.4:rg=0.3:rb=0.2:gr=0.3:gg=0.5:gb=0.2:br=0.3:bg=0.3:bb=0.35",
)


def draw_cover(album_index: int, ffmpeg: Path) -> bytes:
    """The album's cover as JPEG bytes (the same bytes every time)."""
    release = RELEASES[album_index]
    pixels = bytearray(_picture(PICTURES[album_index % len(PICTURES)], ffmpeg))
    _letter(pixels, release)
    return _jpeg(bytes(pixels), ffmpeg)


def _picture(source: str, ffmpeg: Path) -> bytes:
    args = ["-f", "lavfi", "-i", source, "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "rgb24"]
    picture = _ffmpeg(ffmpeg, [*args, "pipe:1"], b"")
    if len(picture) != SIZE * SIZE * 3:
        raise RuntimeError("ffmpeg could not draw a cover: no picture")
    return picture


def _letter(pixels: bytearray, release: Release) -> None:
    """The album's name and artist on a darkened band across the bottom."""
    room = SIZE - 2 * _MARGIN
    lines = _fitted(lettering.printable(release.album), room)
    artist = lettering.printable(release.artist)
    title_scale = min(_scale(line, room, 6) for line in lines)
    artist_scale = _scale(artist, room, 3)
    line_height = (lettering.GLYPH_HEIGHT + 3) * title_scale
    title_height = line_height * len(lines)
    artist_height = lettering.GLYPH_HEIGHT * artist_scale
    band_top = SIZE - (title_height + artist_height + 3 * _MARGIN // 2 + 12)
    darker = bytes(value * 3 // 10 for value in range(256))
    start = band_top * SIZE * 3
    pixels[start:] = pixels[start:].translate(darker)
    top = band_top + _MARGIN // 2 + 6
    for number, line in enumerate(lines):
        lettering.draw(
            pixels,
            SIZE,
            line,
            x=_MARGIN,
            y=top + number * line_height,
            scale=title_scale,
            color=(250, 246, 236),
        )
    lettering.draw(
        pixels,
        SIZE,
        artist,
        x=_MARGIN,
        y=top + title_height + _MARGIN // 2,
        scale=artist_scale,
        color=(200, 196, 186),
    )


def _scale(text: str, room: int, largest: int) -> int:
    return max(1, min(largest, room // max(1, lettering.text_width(text, 1))))


def _fitted(title: str, room: int) -> list[str]:
    """The title on one line, or on two when one line would letter it too small."""
    words = title.split()
    if _scale(title, room, 6) >= 4 or len(words) < 2:
        return [title]
    splits = [(" ".join(words[:cut]), " ".join(words[cut:])) for cut in range(1, len(words))]
    return list(min(splits, key=lambda lines: max(len(line) for line in lines)))


def _jpeg(pixels: bytes, ffmpeg: Path) -> bytes:
    args = ["-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{SIZE}x{SIZE}", "-i", "pipe:0"]
    args += ["-frames:v", "1", "-q:v", "3", "-fflags", "+bitexact", "-flags", "+bitexact"]
    jpeg = _ffmpeg(ffmpeg, [*args, "-c:v", "mjpeg", "-f", "image2pipe", "pipe:1"], pixels)
    if not jpeg.startswith(b"\xff\xd8"):
        raise RuntimeError("ffmpeg could not encode a cover: no JPEG")
    return jpeg


def _ffmpeg(ffmpeg: Path, args: list[str], stdin: bytes) -> bytes:
    """What ffmpeg writes to its standard output; a failure raises `RuntimeError`."""
    try:
        done = subprocess.run(  # noqa: S603  # our executable and our own arguments
            [str(ffmpeg), "-nostdin", "-hide_banner", "-loglevel", "error", *args],
            input=stdin,
            capture_output=True,
            timeout=_TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise RuntimeError(f"ffmpeg could not draw a cover: {error}") from error
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip()
        raise RuntimeError(f"ffmpeg could not draw a cover: {message}")
    return done.stdout
