"""A data set from a seed: a state export (`serve --fixtures`, the plugin's `fixtures=`) and the documents in
it as files, written so that the same options give the same bytes.
"""

from __future__ import annotations

import json
import random
import shutil
from dataclasses import dataclass
from pathlib import Path

from mockserver.clinical import transcripts
from mockserver.clinical.transcripts import TranscriptBook
from mockserver.core.data_files import STATE_FILE
from mockserver.esteem.auth import WORLD
from mockserver.harness.dataset import TOKEN, Options, families
from mockserver.harness.dataset.documents import paperwork
from mockserver.harness.dataset.people import make_people

DOCUMENTS = "documents"


@dataclass(frozen=True)
class DataSet:
    state: dict
    documents: dict[str, bytes]
    """Path under `documents/` (`<external_id>/<filename>`) -> content; recordings have a `.transcript.txt` beside."""


def build(options: Options) -> DataSet:
    staff, people = make_people(options.people, options.seed, options.until)
    audio = random.Random(f"{options.seed}/audio")
    papers = {p.external_id: paperwork(p, staff, audio) for p in people}
    book = TranscriptBook()
    haidy = families.haidy(people, papers, random.Random(f"{options.seed}/haidy"), book)
    heidi = families.heidi(people, papers, random.Random(f"{options.seed}/heidi"))
    esteem = families.esteem(people, staff, TOKEN, options.seed, options.until)
    documents = {}
    for external_id, docs in papers.items():
        for doc in docs:
            documents[f"{external_id}/{doc.filename}"] = doc.content
            if doc.transcript is not None:
                documents[f"{external_id}/{Path(doc.filename).stem}.transcript.txt"] = doc.transcript.encode()
    state = {"tenants": {TOKEN: {"haidy": haidy.to_state(), "heidi": heidi.to_state(),
                                 transcripts.NAME: book.to_state()},
                         WORLD: {WORLD: esteem.to_state()}}}
    return DataSet(state, documents)


def write(data_set: DataSet, directory: Path) -> None:
    """Write `state.json` and `documents/` into `directory`, replacing a data set written there before.
    A directory that holds anything else is refused rather than overwritten."""
    if directory.exists() and not directory.is_dir():
        raise FileExistsError(f"{directory} is a file, not a directory; not writing there")
    if directory.is_dir() and any(directory.iterdir()) and not (directory / STATE_FILE).is_file():
        raise FileExistsError(f"{directory} is not empty and holds no data set ({STATE_FILE}); not writing there")
    shutil.rmtree(directory / DOCUMENTS, ignore_errors=True)
    for relative, content in data_set.documents.items():
        path = directory / DOCUMENTS / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    (directory / STATE_FILE).write_text(json.dumps(data_set.state, separators=(",", ":")) + "\n", encoding="utf-8")
