"""Draws the app's icons (a white business card on B.Ca blue) into public/icons/.

Run from web/: ../.venv/bin/python scripts/make_icons.py  (Pillow). The PNG files are committed.
"""

from pathlib import Path

from PIL import Image, ImageDraw

BLUE = (27, 86, 201, 255)
WHITE = (255, 255, 255, 255)
LINE = (27, 86, 201, 255)
OUT = Path(__file__).resolve().parent.parent / "public" / "icons"


def draw(size: int, *, maskable: bool = False) -> Image.Image:
    scale = 4  # draw large, then shrink: smooth edges
    big = size * scale
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    pen = ImageDraw.Draw(image)
    if maskable:
        pen.rectangle((0, 0, big, big), fill=BLUE)
        inset = big * 0.22
    else:
        pen.rounded_rectangle((0, 0, big - 1, big - 1), radius=big * 0.22, fill=BLUE)
        inset = big * 0.16
    left, right = inset, big - inset
    height = (right - left) * 0.62
    top = (big - height) / 2
    pen.rounded_rectangle((left, top, right, top + height), radius=big * 0.05, fill=WHITE)
    unit = (right - left) / 10
    cx, cy = left + unit * 2.4, top + height * 0.42
    pen.ellipse((cx - unit, cy - unit, cx + unit, cy + unit), fill=LINE)
    for row, length in ((0.34, 4.2), (0.52, 3.2), (0.72, 5.0)):
        y = top + height * row
        x0 = left + unit * (4.2 if row < 0.6 else 1.4)
        pen.rounded_rectangle(
            (x0, y, x0 + unit * length, y + unit * 0.55), radius=unit * 0.27, fill=LINE
        )
    return image.resize((size, size), Image.Resampling.LANCZOS)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    draw(192).save(OUT / "icon-192.png", optimize=True)
    draw(512).save(OUT / "icon-512.png", optimize=True)
    draw(512, maskable=True).save(OUT / "icon-maskable-512.png", optimize=True)
    draw(32).save(OUT / "favicon.png", optimize=True)
    draw(48).save(OUT.parent / "favicon.ico", sizes=[(16, 16), (32, 32), (48, 48)])


if __name__ == "__main__":
    main()
