"""The analyses the app runs for a guider: in the background, one film at a time.

One film at a time because a laptop's cores all go to one film (watching and listening
already share them). A job lives in the app, not in the page: closing the tab stops
nothing, and a page opened later sees its progress. The case records the films asked for
(``Case.pending``) until their analysis ends, so after a restart, or a crash, they go on:
the pipeline continues from the watching it saved on the way.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from vigvision.cases import film_folder, list_cases, open_case, with_pending
from vigvision.config import Settings
from vigvision.errors import VigvisionError

log = logging.getLogger(__name__)


@dataclass
class Job:
    """One film's analysis, as the page shows it."""

    case: str
    film: str
    """The film's full path, as the case records it."""
    adult: str | None = None
    """The person the guider said is the adult (None: vigvision tells them apart)."""
    state: str = "queued"
    """queued, running, done, failed or cancelled."""
    stage: str = ""
    fraction: float = 0.0
    started: float | None = None
    error: str = ""
    folder: Path | None = None
    cancel: threading.Event = field(default_factory=threading.Event)

    def eta_s(self) -> float | None:
        """Seconds left, from the pace so far (None until there is a pace to go by)."""
        if self.state != "running" or self.started is None or self.fraction < 0.02:
            return None
        elapsed = time.monotonic() - self.started
        return elapsed / self.fraction * (1 - self.fraction)

    def to_json(self) -> dict[str, Any]:
        eta = self.eta_s()
        return {
            "state": self.state,
            "stage": self.stage,
            "fraction": round(self.fraction, 3),
            "eta_s": None if eta is None else round(eta),
            "error": self.error,
            "adult": self.adult,
        }


class Analyses:
    """The app's queue of analyses and the one thread that runs them."""

    def __init__(self, root: Path, settings: Settings) -> None:
        self.root = root
        self.settings = settings
        self.case_lock = threading.Lock()
        """Held while a case file is read and written again (the page and the jobs both do)."""
        self._jobs: dict[tuple[str, str], Job] = {}
        self._queue: deque[Job] = deque()
        self._wake = threading.Condition()
        self._worker = threading.Thread(target=self._work, name="vigvision-analyses", daemon=True)
        self._worker.start()

    def ask(self, case: str, film: str, adult: str | None = None) -> Job:
        """Analyse ``film`` of ``case`` (again, with ``adult``: the guider's word)."""
        with self._wake:
            job = self._jobs.get((case, film))
            if job is not None and job.state in ("queued", "running"):
                return job
            job = Job(case, film, adult)
            self._jobs[(case, film)] = job
            with self.case_lock:
                with_pending(open_case(self.root, case), film, True)
            self._queue.append(job)
            self._wake.notify()
            return job

    def cancel(self, case: str, film: str) -> Job | None:
        with self._wake:
            job = self._jobs.get((case, film))
            if job is None or job.state not in ("queued", "running"):
                return job
            job.cancel.set()
            if job.state == "queued":
                self._queue.remove(job)
                self._ended(job, "cancelled")
            return job

    def of(self, case: str, film: str) -> Job | None:
        return self._jobs.get((case, film))

    def forget_case(self, case: str) -> None:
        """Stop and forget every job of a case (it is being purged)."""
        with self._wake:
            for (name, film), job in list(self._jobs.items()):
                if name == case:
                    job.cancel.set()
                    if job in self._queue:
                        self._queue.remove(job)
                    del self._jobs[(name, film)]

    def resume(self) -> list[Job]:
        """The analyses asked for before the app last stopped, asked for again."""
        return [
            self.ask(case.name, film) for case in list_cases(self.root) for film in case.pending
        ]

    def _work(self) -> None:
        while True:
            with self._wake:
                while not self._queue:
                    self._wake.wait()
                job = self._queue.popleft()
                job.state, job.started = "running", time.monotonic()
            self._run(job)

    def _run(self, job: Job) -> None:
        from vigvision.film import probe
        from vigvision.pipeline import CancelledError, suggest_film

        try:
            job.stage = "Reading the film"
            info = probe(Path(job.film))
            with self.case_lock:
                case, folder = film_folder(open_case(self.root, job.case), info, date.today())
            job.folder = folder

            def progress(stage: str, t: float) -> None:
                reached = t / max(info.duration_s, 1e-6)
                if stage == "First look":  # the key frames: quick, listening beside it
                    job.stage = "Taking a first look"
                    job.fraction = min(0.1, 0.1 * reached)
                elif stage == "Watching":  # the longest part
                    job.stage = "Watching and listening"
                    job.fraction = min(0.99, 0.1 + 0.89 * reached)

            suggest_film(
                info,
                self.settings,
                folder,
                adult=job.adult,
                goals=case.goals,
                progress=progress,
                cancel=job.cancel,
            )
            self._ended(job, "done")
        except CancelledError:
            self._ended(job, "cancelled")
        except VigvisionError as problem:
            self._ended(job, "failed", problem.one_line())
        except Exception as problem:  # shown on the page; the app goes on with other films
            log.exception("analysis of a film failed")
            self._ended(job, "failed", f"unexpected error: {type(problem).__name__}: {problem}")

    def _ended(self, job: Job, state: str, error: str = "") -> None:
        job.state, job.error = state, error
        if state == "done":
            job.fraction = 1.0
        try:
            with self.case_lock:
                with_pending(open_case(self.root, job.case), job.film, False)
        except VigvisionError:
            pass  # the case was purged meanwhile
