"""Dependencies of the datasets routes: the dataset (and version) named in the path, within a team the
caller is in. Another team's dataset reads as missing (404)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends

from tuneforge.datasets import repository
from tuneforge.datasets.models import Dataset, DatasetVersion
from tuneforge.teams.models import Membership
from tuneforge.web.deps import SessionDep, TeamMember

Viewer = Annotated[Membership, TeamMember("viewer")]
Member = Annotated[Membership, TeamMember("member")]


async def dataset_in_team(team_id: uuid.UUID, dataset_id: uuid.UUID, session: SessionDep, _: Viewer) -> Dataset:
    return await repository.get_in_team(session=session, team_id=team_id, dataset_id=dataset_id)


DatasetDep = Annotated[Dataset, Depends(dataset_in_team)]


async def version_in_dataset(version_id: uuid.UUID, dataset: DatasetDep, session: SessionDep) -> DatasetVersion:
    return await repository.get_version(session=session, dataset_id=dataset.id, version_id=version_id)


VersionDep = Annotated[DatasetVersion, Depends(version_in_dataset)]
