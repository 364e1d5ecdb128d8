"""Case folders: consent recorded, owner-only folders, purge and expiry that leave nothing."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from tests.films import make_film
from tests.helpers import vigvision


def case_command(root: Path, *args: str) -> tuple[int, str, str]:
    done = vigvision("--set", f"cases.root={root}", *args)
    return done.returncode, done.stdout, done.stderr


def every_file(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


@pytest.fixture
def film_with_results(tmp_path: Path) -> tuple[Path, Path]:
    """A film outside the cases, analysed in case family-07."""
    root = tmp_path / "cases"
    (tmp_path / "home").mkdir()
    film = make_film(tmp_path / "home" / "film.mp4", seconds=2.0, audio=True)
    code, _, err = case_command(
        root, "case", "new", "family-07", "--consent-ref", "CF-14", "--consent-date", "2026-10-01"
    )
    assert code == 0, err
    code, _, err = case_command(root, "-q", "suggest", str(film), "--case", "family-07")
    assert code in (0, 2), err  # a test pattern has no people: results are written anyway
    return root, film


def test_a_new_case_is_private_and_records_consent(tmp_path: Path) -> None:
    root = tmp_path / "cases"
    code, out, err = case_command(
        root,
        "case",
        "new",
        "family-07",
        "--consent-ref",
        "CF-14",
        "--consent-date",
        "2026-10-01",
        "--retain-days",
        "30",
    )
    assert code == 0, err
    folder = Path(out.strip())
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    record = json.loads((folder / "case.json").read_text())
    assert record["consent_ref"] == "CF-14" and record["consent_date"] == "2026-10-01"
    assert record["retain_days"] == 30 and record["retain_until"] > record["last_worked"]
    code, out, _ = case_command(root, "case", "list")
    assert "family-07" in out and "CF-14" in out


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("../escape", "--consent-ref", "R", "--consent-date", "2026-10-01"), "cannot name a case"),
        (("family-08", "--consent-ref", "R", "--consent-date", "1/10/2026"), "YYYY-MM-DD"),
        (("family-08", "--consent-ref", "R", "--consent-date", "2999-01-01"), "in the future"),
    ],
)
def test_bad_case_details_are_refused(tmp_path: Path, args: tuple[str, ...], says: str) -> None:
    code, _, err = case_command(tmp_path / "cases", "case", "new", *args)
    assert code == 2 and says in err and err.count("\n") == 1


def test_suggest_needs_a_case_or_an_explicit_no_case(tmp_path: Path) -> None:
    film = make_film(tmp_path / "film.mp4", seconds=1.0)
    done = vigvision("suggest", str(film), "--out", str(tmp_path / "out"))
    assert done.returncode == 2 and "--no-case" in done.stderr
    assert not (tmp_path / "out").exists()


def test_purge_leaves_nothing_derived_and_never_the_film(
    film_with_results: tuple[Path, Path],
) -> None:
    root, film = film_with_results
    before = every_file(root / "family-07")
    assert "case.json" in before and any(name.endswith("observations.csv") for name in before)
    code, _, err = case_command(root, "case", "purge", "family-07")
    assert code == 2 and "--yes" in err  # no confirmation from a script without --yes
    code, _, err = case_command(root, "case", "purge", "family-07", "--yes")
    assert code == 0, err
    assert not (root / "family-07").exists()  # listed before, gone after
    assert film.is_file()
    log = (root / "purge.log").read_text()
    assert "purged case" in log and "family-07" not in log and "CF-14" not in log


def test_expire_purges_only_cases_past_retention(
    film_with_results: tuple[Path, Path],
) -> None:
    root, _ = film_with_results
    code, _, err = case_command(
        root, "case", "new", "family-08", "--consent-ref", "CF-15", "--consent-date", "2026-10-02"
    )
    assert code == 0, err
    record = root / "family-07" / "case.json"
    data = json.loads(record.read_text())
    data["last_worked"] = "2020-01-01"  # worked on long ago
    record.write_text(json.dumps(data))
    code, out, _ = case_command(root, "case", "expire", "--dry-run")
    assert "family-07" in out and "family-08" not in out
    assert (root / "family-07").exists()
    code, out, err = case_command(root, "case", "expire")
    assert code == 0, err
    assert not (root / "family-07").exists() and (root / "family-08" / "case.json").is_file()
