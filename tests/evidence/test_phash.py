"""The perceptual hash is ImageHash's phash, computed without numpy and scipy.

Stored hashes came from `str(imagehash.phash(display))`; new ones must be the same
strings for the same pictures, or duplicate detection would drift.
"""

from __future__ import annotations

import random

import imagehash
import pytest
from PIL import Image, ImageDraw, ImageFilter, ImageOps

from inspect_app.evidence.phash import perceptual_hash
from tests import imaging


def _noisy(rng: random.Random) -> Image.Image:
    size = (rng.randint(40, 400), rng.randint(40, 400))
    channels = [Image.effect_noise(size, rng.uniform(1, 60)) for _ in range(3)]
    return Image.merge("RGB", channels).filter(ImageFilter.GaussianBlur(rng.uniform(0, 8)))


def _gradient(rng: random.Random) -> Image.Image:
    size = (rng.randint(40, 400), rng.randint(40, 400))
    gradient = Image.linear_gradient("L").resize(size).rotate(rng.randrange(360)).convert("RGB")
    noise = Image.effect_noise(size, 30).convert("RGB")
    return Image.blend(gradient, noise, rng.random())


def _shapes(rng: random.Random) -> Image.Image:
    size = (rng.randint(40, 400), rng.randint(40, 400))
    image = imaging.picture(size, seed=str(rng.random()))
    draw = ImageDraw.Draw(image)
    for _ in range(rng.randint(1, 12)):
        x, y = rng.randrange(size[0]), rng.randrange(size[1])
        box = (x, y, x + rng.randrange(size[0]), y + rng.randrange(size[1]))
        draw.ellipse(box, fill=tuple(rng.randrange(256) for _ in range(3)))
    return image


@pytest.mark.parametrize("make", [_noisy, _gradient, _shapes])
def test_same_hash_as_imagehash_for_photo_like_pictures(make) -> None:
    rng = random.Random(make.__name__)
    for _ in range(60):
        picture = make(rng)
        assert perceptual_hash(picture) == str(imagehash.phash(picture))


@pytest.mark.parametrize("colour", [(0, 0, 0), (255, 255, 255), (90, 140, 30)])
def test_same_hash_as_imagehash_for_a_uniform_picture(colour: tuple[int, int, int]) -> None:
    picture = Image.new("RGB", (120, 90), colour)

    assert perceptual_hash(picture) == str(imagehash.phash(picture))


@pytest.mark.parametrize(
    "mirror", [ImageOps.mirror, ImageOps.flip], ids=["left-right", "top-bottom"]
)
def test_same_hash_as_imagehash_for_a_symmetric_picture(mirror) -> None:
    """Half of its DCT is exactly zero, in scipy as here: ties must not flip bits."""
    picture = imaging.picture((128, 96), seed="mirror")
    symmetric = Image.blend(picture, mirror(picture), 0.5)

    assert perceptual_hash(symmetric) == str(imagehash.phash(symmetric))


def test_any_mode_and_size() -> None:
    picture = imaging.picture((500, 300), seed="modes")
    for mode in ("L", "RGBA", "P", "CMYK"):
        converted = picture.convert(mode)
        assert perceptual_hash(converted) == str(imagehash.phash(converted))
