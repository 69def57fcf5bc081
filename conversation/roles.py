"""Who may do what in a project.

owner: everything; editor: change the cut and add files (unless the owner locked the cut);
viewer: comment and vote. Anyone may take back what they contributed, even when locked: their
photos are theirs.

Groups: whoever starts the chat's project owns it. When a chat admin adds the bot, the project is
made there and then, so the admin owns it; a member who later says /new <title> just names that
project and makes the movie as an editor (lock, roles, hand-over and delete stay with the admin who
brought the bot). Where nobody admin-owned it first, a plain member may start and own the project:
waiting for an admin who may never speak would block the group. Chat admins keep owner powers in
any project of their chat either way (Ctx.role), so the group's moderators are never locked out.
"""

from __future__ import annotations

from typing import Literal

from conversation.models import Member, Project, Role

Permission = Literal["view", "comment", "vote", "contribute", "edit", "manage", "withdraw"]

_GRANTS: dict[Role, frozenset[Permission]] = {
    "owner": frozenset({"view", "comment", "vote", "contribute", "edit", "manage", "withdraw"}),
    "editor": frozenset({"view", "comment", "vote", "contribute", "edit", "withdraw"}),
    "viewer": frozenset({"view", "comment", "vote", "withdraw"}),
}


def allowed(role: Role, permission: Permission, *, locked: bool = False) -> bool:
    if locked and permission == "edit" and role != "owner":
        return False
    return permission in _GRANTS[role]


def refusal(member: Member, permission: Permission, project: Project) -> str | None:
    """None when allowed, else the message explaining why not (texts.ROLE_REFUSED key)."""
    if allowed(member.role, permission, locked=project.locked):
        return None
    if permission == "edit" and project.locked and member.role == "editor":
        return "locked"
    if permission == "manage":
        return "manage"
    if permission == "contribute":
        return "contribute"
    return "edit"


def joining_role(project: Project, default: Role, *, chat_admin: bool = False) -> Role:
    """The role of someone who starts talking in a project's chat. A group's admin never joins
    as a mere viewer: they run the chat (and act as an owner anyway, see Ctx.role)."""
    if chat_admin:
        return "editor"
    if project.locked:
        return "viewer"
    return project.default_role if project.default_role != "editor" else default
