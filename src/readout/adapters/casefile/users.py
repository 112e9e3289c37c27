"""Read the users file (who acts in Readout, with which roles), validated like a case file.

```yaml
users:
  - {id: priya, name: Priya Shah, email: priya.shah@provider.example, roles: [program_manager]}
  - {id: omar, name: Omar Haddad, roles: [duty_manager], slack: U012ABCDEF}
  - {id: planner-bot, name: Planning agent, kind: agent, on_behalf_of: priya}
```

``slack`` (optional) links the Slack user with that id to the user: their clicks in the leadership channel act
as them, under their roles. ``kind: agent`` (default ``person``) makes the user an agent acting through the
tool surface (docs/agents.md) on behalf of ``on_behalf_of``, a person holding a coordinator role; an agent has
no roles of its own (it plans, holds and requests exceptions, nothing else).
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from readout.adapters.casefile.document import DocumentError, read_document
from readout.domain.users import SLACK_USER_ID, Role, User, UserKind
from readout.errors import CaseFileError

__all__ = ["load_users"]


class _UserSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    id: str
    name: str
    email: str = ""
    roles: list[Role] = Field(default_factory=list)
    slack: str | None = Field(default=None, pattern=SLACK_USER_ID)
    kind: UserKind = UserKind.PERSON
    on_behalf_of: str | None = None


class _UsersSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    users: list[_UserSpec]


def load_users(path: Path) -> list[User]:
    """The users in ``path``; CaseFileError names the file, the field and what was expected."""
    try:
        data = read_document(path)
        spec = _UsersSpec.model_validate(data, strict=False)
    except DocumentError as exc:
        raise CaseFileError(str(path), "", str(exc)) from None
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"])
        allowed = ", ".join(r.value for r in Role)
        hint = f" (roles: {allowed})" if "roles" in field else ""
        if field.endswith(".slack"):
            hint = " (a Slack user id such as U012ABCDEF: Slack's profile menu, Copy member ID)"
        raise CaseFileError(str(path), field, f"{first['msg']}{hint}") from None
    for index, u in enumerate(spec.users):
        problem = _kind_problem(u)
        if problem is not None:
            raise CaseFileError(str(path), f"users.{index}.{problem[0]}", problem[1])
    return [
        User(u.id, u.name, u.email, frozenset(u.roles), u.slack, u.kind, u.on_behalf_of) for u in spec.users
    ]


def _kind_problem(user: _UserSpec) -> tuple[str, str] | None:
    """The field and the expectation a person's or an agent's entry breaks (who the principal is, and whether
    they may have agents, is checked when the file is imported: they may be in the store already)."""
    if user.kind is UserKind.PERSON:
        if "roles" not in user.model_fields_set:
            return "roles", "Field required"
        if user.on_behalf_of is not None:
            return "on_behalf_of", "only an agent (kind: agent) acts on behalf of someone"
        return None
    if user.on_behalf_of is None:
        return "on_behalf_of", "an agent needs on_behalf_of: the id of the person it acts for"
    if user.roles:
        return "roles", "an agent holds no roles: it plans, holds and requests exceptions for its principal"
    return None
