"""The action server, as rasa_sdk runs it, plus one admin route: POST /admin/reload.

    python -m actions.server --port 5055

`kb reload` calls the route (with the admin token) so a knowledge-base change is
served at once; without it the server notices changed files within two seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import logging

from rasa_sdk import utils
from rasa_sdk.endpoint import create_app
from sanic import response

from actions.catalogue import live_catalogue
from common import settings
from common.admin import authorised
from common.privacy import install_log_masking


def build_app():
    app = create_app("actions", cors_origins=None)

    @app.post("/admin/reload")
    async def reload(request):
        if not authorised(request.headers.get("Authorization")):
            return response.json({"error": "unauthorised"}, status=401)
        live = live_catalogue()
        catalogue = live.reload()
        return response.json(
            {
                "version": live.version,
                "entries": len(list(catalogue.entries())),
                "errors": [str(e) for e in catalogue.errors],
            }
        )

    @app.listener("after_server_start")
    async def drain_spool_now_and_then(app, loop):
        """Ratings and checklist steps kept locally while the database was unreachable go in when it is back."""
        from actions.feedback_flow import ratings
        from actions.checklist_flow import store as checklist_store

        async def every_few_seconds():
            while True:
                await asyncio.sleep(settings.spool_drain_seconds())
                for drain in (lambda: ratings().drain(), lambda: checklist_store().drain()):
                    try:
                        await asyncio.to_thread(drain)
                    except Exception:  # noqa: BLE001 - try again next time
                        logging.getLogger(__name__).warning("spool drain failed", exc_info=True)

        app.add_task(every_few_seconds())

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description="政务服务助手 action server")
    parser.add_argument("--port", type=int, default=5055)
    parser.add_argument("--loglevel", default=settings.log_level())
    args = parser.parse_args()
    install_log_masking()
    utils.configure_colored_logging(args.loglevel)
    logging.getLogger("matplotlib").setLevel(logging.WARN)
    build_app().run(settings.sanic_host(), args.port, workers=1, access_log=False)


if __name__ == "__main__":
    main()
