"""What `bench/stream.py` stands on: a catalog with renditions and real audio-sized files, signed
URLs for them, and the two nginx servers (Encore's edge from deploy/nginx, and plain static).
"""

import os
import shutil
import subprocess
import textwrap
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from api_track_read import seed as seed_catalog
from common import LOOPBACK, REPO_ROOT, Server, free_port, serve

RENDER = REPO_ROOT / "deploy" / "nginx" / "render"
NGINX_MODULES_DIR = Path("/usr/lib/nginx/modules")
NJS_MODULE = NGINX_MODULES_DIR / "ngx_http_js_module.so"
NGINX_MISSING = (
    "nginx with njs is not installed (the edge in deploy/nginx needs both). Install them with\n"
    "    apt-get update && apt-get install -y nginx libnginx-mod-http-js\n"
    "or run `make bench`, which installs them when missing."
)
# Signed URLs outlive the run by far; the API's own are good for an hour (stream_url_ttl_s).
URL_TTL_S = 6 * 3600


@dataclass(frozen=True)
class StreamSeed:
    track_ids: list[str]
    token: str
    source: str
    audio_keys: list[str]  # media keys of the files the edges serve
    signed_paths: list[str]  # `/audio/...?exp=...&sig=...`, one per audio key
    signing_keys: list[str]  # ENCORE_STREAM_KEYS for the nginx edge
    media_root: Path


def seed(data_dir: Path, *, tracks: int, files: int, file_bytes: int) -> StreamSeed:
    """The foundation benchmark's catalog and listener, every track with a ladder of renditions
    (so the stream API answers for each), and `files` random files of `file_bytes` stored in the
    media store as the normal-quality renditions of the first tracks: the files the API's URLs
    for those tracks play."""
    from encore.accounts.passwords import Passwords
    from encore.bootstrap import bootstrap, stream_signing_keys
    from encore.catalog.audio import LADDER, PREVIEW, audio_key
    from encore.catalog.model import Quality, Rendition
    from encore.config import load_settings
    from encore.streaming.signing import UrlSigner

    catalog = seed_catalog(data_dir, tracks)
    settings = load_settings(data_dir=data_dir)
    services = bootstrap(settings, passwords=Passwords(time_cost=1, memory_cost_kib=1024))
    try:
        with services.uow() as uow:
            for track_id in catalog.track_ids:
                for spec in (*LADDER[:4], PREVIEW):
                    uow.renditions.put(
                        Rendition(
                            track_id=track_id,
                            quality=spec.quality,
                            format=spec.extension,
                            codec=spec.codec,
                            bitrate_kbps=spec.bitrate_kbps,
                            size_bytes=file_bytes,
                            path=audio_key(track_id, spec.file_name),
                            checksum="0" * 64,
                        )
                    )
            uow.commit()
        normal = next(spec for spec in LADDER if spec.quality is Quality.NORMAL)
        audio_keys = [audio_key(t, normal.file_name) for t in catalog.track_ids[:files]]
        for key in audio_keys:
            # Random bytes: nothing on the way (page cache, sendfile) gains from their content.
            services.media.put_bytes(key, os.urandom(file_bytes), content_type="audio/ogg")
        signing_keys = stream_signing_keys(settings)
    finally:
        services.close()
    signer = UrlSigner(signing_keys, ttl_s=URL_TTL_S)
    now = time.time()
    return StreamSeed(
        track_ids=catalog.track_ids,
        token=catalog.token,
        source=catalog.source,
        audio_keys=audio_keys,
        signed_paths=[signer.sign(f"/{key}", now=now).path_and_query for key in audio_keys],
        signing_keys=signing_keys,
        media_root=data_dir / "media",
    )


# --- nginx -----------------------------------------------------------------------------------


def nginx_program() -> str:
    program = shutil.which("nginx", path="/usr/sbin:/usr/bin:/sbin:/bin")
    if program is None or not NJS_MODULE.is_file():
        raise SystemExit(NGINX_MISSING)
    return program


def _nginx_command(config: Path) -> list[str]:
    # Started by root, nginx runs its workers as `nobody`, who cannot read a private temporary
    # directory; they stay root instead (loopback only, for the length of the run).
    user = " user root;" if os.geteuid() == 0 else ""
    return [nginx_program(), "-c", str(config), "-g", f"daemon off;{user}"]


@contextmanager
def nginx_edge(
    work_dir: Path, media_root: Path, keys: Sequence[str], *, workers: str = "auto"
) -> Iterator[Server]:
    """Encore's edge as operators run it: `deploy/nginx/render local`, keys in the environment."""
    port = free_port()
    variables = {
        "ENCORE_WORKERS": workers,
        "ENCORE_LISTEN": f"{LOOPBACK}:{port}",
        "ENCORE_STATE_DIR": str(work_dir / "state"),
        "ENCORE_MEDIA_ROOT": str(media_root),
        "ENCORE_MODULES_DIR": str(NGINX_MODULES_DIR),
    }
    rendered = subprocess.run(
        [str(RENDER), "local", str(work_dir / "conf")],
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), **variables},
        capture_output=True,
        text=True,
        check=False,
    )
    if rendered.returncode != 0:
        raise SystemExit(f"deploy/nginx/render failed: {rendered.stderr}")
    config = Path(rendered.stdout.strip())
    with serve(
        "nginx_edge",
        _nginx_command(config),
        port=port,
        ready_path="/",
        log_dir=work_dir,
        env={"ENCORE_STREAM_KEYS": ",".join(keys)},
    ) as server:
        yield server


# The ceiling: the edge's file serving (sendfile, open file cache, keep-alive) without the
# signature check and without an access log.
PLAIN_CONFIG = """\
worker_processes {workers};
pid {state}/nginx.pid;
error_log {state}/error.log warn;
events {{
    worker_connections 4096;
}}
http {{
    client_body_temp_path {state}/client_body;
    proxy_temp_path {state}/proxy_temp;
    fastcgi_temp_path {state}/fastcgi_temp;
    uwsgi_temp_path {state}/uwsgi_temp;
    scgi_temp_path {state}/scgi_temp;
    access_log off;
    server_tokens off;
    keepalive_requests 10000;
    open_file_cache max=10000 inactive=60s;
    server {{
        listen {listen};
        root {root};
        types {{
            audio/ogg ogg;
            audio/flac flac;
        }}
        sendfile on;
        sendfile_max_chunk 64k;  # as the edge's, so the two differ only by the check
        tcp_nopush on;
    }}
}}
"""


@contextmanager
def plain_nginx(work_dir: Path, media_root: Path, *, workers: str = "auto") -> Iterator[Server]:
    """nginx serving the media directory as static files, nothing else (no njs)."""
    port = free_port()
    state = work_dir / "state"
    state.mkdir(parents=True, exist_ok=True)
    config = work_dir / "nginx.conf"
    config.write_text(
        textwrap.dedent(PLAIN_CONFIG).format(
            state=state, listen=f"{LOOPBACK}:{port}", root=media_root, workers=workers
        )
    )
    with serve("nginx", _nginx_command(config), port=port, ready_path="/", log_dir=work_dir) as s:
        yield s
