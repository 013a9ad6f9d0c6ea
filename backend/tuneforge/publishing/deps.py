from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends

from tuneforge.publishing import repository
from tuneforge.publishing.models import Publication
from tuneforge.teams.models import Role
from tuneforge.web.deps import CurrentUser, SessionDep


def _publication(role: Role):
    async def dependency(publication_id: uuid.UUID, session: SessionDep, user: CurrentUser) -> Publication:
        return await repository.publication_for_member(session=session, publication_id=publication_id, user_id=user.id, min_role=role)

    return Depends(dependency)


ViewablePublication = Annotated[Publication, _publication(Role.viewer)]
EditablePublication = Annotated[Publication, _publication(Role.member)]
