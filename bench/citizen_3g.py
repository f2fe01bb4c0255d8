"""A citizen on a phone over 3G: the time from the last keystroke to the tracking code.

Not a test: a measurement for docs/performance.md. Chromium at 360×740 with Chrome's
network emulation (CDP `Network.emulateNetworkConditions`: 750 kbit/s up, 1.6 Mbit/s
down, 150 ms latency) opens /report of a fresh app (SQLite, reference data), picks two
4.7 MB phone photos first, then types the rest at a steady pace (one keystroke every
330 ms, ~36 words a minute, a pause between fields), finds the ward by typing and
sends. Printed: time from the last keystroke to the code, when the uploads ended,
the interactions (taps, picks and fields typed into) and the form's height in screens.

    .venv/bin/python -m bench.citizen_3g [--keystroke-ms 330] [--photo-mb 4.7]
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import tempfile
import time
import urllib.request
from io import BytesIO
from pathlib import Path

from PIL import Image, ImageFilter

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
PHONE = {"width": 360, "height": 740}
THREE_G = {"offline": False, "latency": 150, "uploadThroughput": 750_000 / 8}
THREE_G["downloadThroughput"] = 1_600_000 / 8
FIELD_PAUSE_S = 2.0
TEXTS = {
    "#product": "Sữa bột Similac 900g",
    "#description": "Hộp sữa có tem chống giả bị mờ, hạn dùng in lệch, giá rẻ hơn hẳn nơi khác.",
}
WARD_SEARCH = "phuc loi"
WARD_NAME = "Phường Phúc Lợi"


def phone_photo(target_mb: float, seed: int) -> bytes:
    """A 12-megapixel JPEG of about `target_mb` MB (noise softened like a real scene)."""
    noise = Image.effect_noise((4000, 3000), 60 + seed).filter(ImageFilter.GaussianBlur(1))
    image = Image.merge("RGB", (noise, noise.rotate(180), noise.transpose(0)))
    low, high, best = 40, 100, b""
    while low <= high:
        quality = (low + high) // 2
        out = BytesIO()
        image.save(out, "JPEG", quality=quality)
        if out.tell() <= target_mb * 1024 * 1024:
            best, low = out.getvalue(), quality + 1
        else:
            high = quality - 1
    return best


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_app(workdir: Path) -> tuple[subprocess.Popen, str]:
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{workdir / 'bench.sqlite3'}",
        "UPLOAD_ROOT": str(workdir / "uploads"),
        "REPORT_RATE_LIMIT": "100 per minute",
    }
    flask = [str(ROOT / ".venv/bin/flask"), "--app", "wsgi"]
    for command in (["db", "upgrade"], ["refdata", "load"]):
        subprocess.run(flask + command, cwd=ROOT, env=env, check=True, capture_output=True)
    port = _free_port()
    server = subprocess.Popen(
        [*flask, "run", "--port", str(port), "--with-threads"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(f"{url}/healthz", timeout=1).read()  # noqa: S310
            return server, url
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise RuntimeError("the app did not start")


def journey(url: str, photos: list[bytes], keystroke_ms: int) -> dict:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-background-networking"],
        )
        page = browser.new_context(viewport=PHONE, locale="vi-VN").new_page()
        page.goto(f"{url}/report")
        cdp = page.context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send("Network.emulateNetworkConditions", THREE_G)
        uploads_done: list[float] = []
        page.on(
            "requestfinished",
            lambda r: uploads_done.append(time.monotonic()) if r.url.endswith("/photos") else 0,
        )
        page.set_default_timeout(600_000)
        started = time.monotonic()
        interactions = 1
        page.set_input_files(
            "#photos",
            files=[
                {"name": f"IMG_{n}.jpg", "mimeType": "image/jpeg", "buffer": data}
                for n, data in enumerate(photos)
            ],
        )
        page.select_option("#category", index=1)
        interactions += 1
        for selector, text in TEXTS.items():
            time.sleep(FIELD_PAUSE_S)
            page.click(selector)
            page.keyboard.type(text, delay=keystroke_ms)
            interactions += 1
        time.sleep(FIELD_PAUSE_S)
        page.select_option("#province", "1")
        page.wait_for_selector("#ward option[value='136']", state="attached")
        page.click("[data-testid='ward-finder']")
        page.keyboard.type(WARD_SEARCH, delay=keystroke_ms)
        last_keystroke = time.monotonic()
        page.get_by_role("button", name=WARD_NAME).click()
        screens = page.evaluate("document.documentElement.scrollHeight") / PHONE["height"]
        page.get_by_role("button", name="Gửi phản ánh").click()
        interactions += 4  # province, ward finder, ward suggestion, send
        page.get_by_test_id("tracking-code").wait_for()
        got_code = time.monotonic()
        browser.close()
    return {
        "last_keystroke_to_code_s": got_code - last_keystroke,
        "typing_s": last_keystroke - started,
        "uploads_done_s": (max(uploads_done) - started) if uploads_done else None,
        "total_s": got_code - started,
        "interactions": interactions,
        "screens": screens,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keystroke-ms", type=int, default=330)
    parser.add_argument("--photo-mb", type=float, default=4.7)
    args = parser.parse_args()
    photos = [phone_photo(args.photo_mb, seed) for seed in (1, 2)]
    with tempfile.TemporaryDirectory(prefix="citizen-3g-") as folder:
        server, url = start_app(Path(folder))
        try:
            result = journey(url, photos, args.keystroke_ms)
        finally:
            server.terminate()
            server.wait(timeout=10)
    sizes = ", ".join(f"{len(p) / 1024 / 1024:.2f} MB" for p in photos)
    print(f"photos: {sizes}; link: 750 kbit/s up, 1.6 Mbit/s down, 150 ms")
    print(f"keystroke every {args.keystroke_ms} ms; pause between fields {FIELD_PAUSE_S:g} s")
    for name, value in result.items():
        print(f"{name}: {value:.1f}" if isinstance(value, float) else f"{name}: {value}")


if __name__ == "__main__":
    main()
