"""管理员: the accounts, their roles, password resets, disabling."""

from __future__ import annotations

from aiohttp import web

from console.context import services, signed_in
from console.render import page, redirect
from domain_logic.staff.accounts import ROLES, AccountError
from console.routes import RouteTable

routes = RouteTable()


def _roles(form) -> list:
    return [r for r in form.getall("roles", []) if isinstance(r, str)]


def _account_id(request: web.Request) -> int:
    try:
        return int(request.match_info["id"])
    except ValueError:
        raise web.HTTPNotFound()


@routes.get("/accounts", "admin", nav="账号管理")
async def account_list(request: web.Request) -> web.StreamResponse:
    return page(
        request,
        "accounts.html",
        title="账号管理",
        accounts=services(request).accounts.all(),
        roles=ROLES,
        error="",
        form={},
    )


@routes.post("/accounts", "admin")
async def create_account(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    store = services(request).accounts
    try:
        created = store.create(
            str(form.get("username", "")),
            str(form.get("display_name", "")),
            str(form.get("password", "")),
            _roles(form),
        )
    except AccountError as exc:
        return page(
            request,
            "accounts.html",
            status=400,
            title="账号管理",
            accounts=store.all(),
            roles=ROLES,
            error=str(exc),
            form={
                "username": form.get("username", ""),
                "display_name": form.get("display_name", ""),
                "roles": _roles(form),
            },
        )
    raise redirect(request, "/accounts", f"已创建账号 {created.username}（{created.role_names}）。")


@routes.post("/accounts/{id}/roles", "admin")
async def change_roles(request: web.Request) -> web.StreamResponse:
    account_id, form = _account_id(request), await request.post()
    if account_id == signed_in(request).id and "admin" not in _roles(form):
        raise redirect(request, "/accounts", "不能取消自己的管理员角色（以免无人能管理账号）。")
    try:
        services(request).accounts.set_roles(account_id, _roles(form))
    except AccountError as exc:
        raise redirect(request, "/accounts", str(exc))
    raise redirect(request, "/accounts", "角色已更新。")


@routes.post("/accounts/{id}/password", "admin")
async def reset_password(request: web.Request) -> web.StreamResponse:
    account_id, form = _account_id(request), await request.post()
    try:
        services(request).accounts.reset_password(account_id, str(form.get("password", "")))
    except AccountError as exc:
        raise redirect(request, "/accounts", f"密码未重置：{exc}")
    raise redirect(request, "/accounts", "密码已重置，该账号需用新密码重新登录。")


@routes.post("/accounts/{id}/disable", "admin")
async def disable(request: web.Request) -> web.StreamResponse:
    account_id, form = _account_id(request), await request.post()
    disabled = form.get("disabled") != "0"
    if account_id == signed_in(request).id and disabled:
        raise redirect(request, "/accounts", "不能停用自己的账号。")
    services(request).accounts.set_disabled(account_id, disabled)
    raise redirect(request, "/accounts", "账号已停用，其登录已失效。" if disabled else "账号已启用。")
