"""Read the users file (who acts in Readout, with which roles), validated like a case file.

```yaml
users:
  - {id: priya, name: Priya Shah, email: priya.shah@provider.example, roles: [program_manager]}
  - {id: omar, name: Omar Haddad, roles: [duty_manager], slack: U012ABCDEF}
```

``slack`` (optional) links the Slack user with that id to the user: their clicks in the leadership channel act
as them, under their roles.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from readout.adapters.casefile.document import DocumentError, read_document
from readout.domain.users import SLACK_USER_ID, Role, User
from readout.errors import CaseFileError

__all__ = ["load_users"]


class _UserSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    id: str
    name: str
    email: str = ""
    roles: list[Role]
    slack: str | None = Field(default=None, pattern=SLACK_USER_ID)


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
    return [User(u.id, u.name, u.email, frozenset(u.roles), u.slack) for u in spec.users]
