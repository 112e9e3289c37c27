"""Read the users file (who acts in Readout, with which roles), validated like a case file.

```yaml
users:
  - {id: priya, name: Priya Shah, email: priya.shah@provider.example, roles: [program_manager]}
```
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError

from readout.adapters.casefile.document import DocumentError, read_document
from readout.domain.users import Role, User
from readout.errors import CaseFileError

__all__ = ["load_users"]


class _UserSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    id: str
    name: str
    email: str = ""
    roles: list[Role]


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
        raise CaseFileError(str(path), field, f"{first['msg']}{hint}") from None
    return [User(u.id, u.name, u.email, frozenset(u.roles)) for u in spec.users]
