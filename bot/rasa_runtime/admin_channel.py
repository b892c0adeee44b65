"""POST /webhooks/kb_admin/reload on the Rasa server: re-read the knowledge base the NLU matches against.

Registered in credentials.yml like a channel, because that is how Rasa lets a
project add a route to its server. Not for citizens: it needs the admin token.
"""

from __future__ import annotations

from typing import Any, Awaitable, Callable, Text

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.nlu.components import reload_live_catalogues
from common.admin import authorised


class KnowledgeBaseAdmin(InputChannel):
    @classmethod
    def name(cls) -> Text:
        return "kb_admin"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        admin = Blueprint("kb_admin", __name__)

        @admin.route("/reload", methods=["POST"])
        async def reload(request: Request) -> HTTPResponse:
            if not authorised(request.headers.get("Authorization")):
                return response.json({"error": "unauthorised"}, status=401)
            return response.json(reload_live_catalogues())

        return admin
