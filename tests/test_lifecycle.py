"""Tests for mockserver._lifecycle: examples for the documented kinds, properties over any lifecycle."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mockserver._families import KINDS
from mockserver._lifecycle import (
    PROGRESS_STAGES,
    Failure,
    Lifecycle,
    Progress,
    Schedule,
    Stage,
    Status,
    Step,
    plan,
    shift,
    status_after_delivery,
    status_at,
)

MUSIC = KINDS["music"].lifecycle
REPLACE = KINDS["replace"].lifecycle
FAILURE_STATUSES = frozenset(MUSIC.failures)

seconds = st.floats(min_value=0, max_value=1_000, allow_nan=False, allow_infinity=False)


@st.composite
def lifecycles(draw: st.DrawFn) -> Lifecycle:
    """Any valid lifecycle: some progress stages in order, maybe silent steps, ending in SUCCESS."""
    stages = [s for s in PROGRESS_STAGES[:-1] if draw(st.booleans())] + [Stage.COMPLETE]
    steps: list[Stage | None] = []
    for stage in stages:
        steps += [None] * draw(st.integers(0, 1)) + [stage]
    offsets = sorted(draw(st.lists(seconds, min_size=len(steps), max_size=len(steps))))
    progress = tuple(
        Progress(stage, "SUCCESS" if i == len(steps) - 1 else f"STEP_{i}", offset)
        for i, (stage, offset) in enumerate(zip(steps, offsets, strict=True))
    )
    return Lifecycle("drawn", progress, FAILURE_STATUSES)


@st.composite
def failures(draw: st.DrawFn) -> Failure:
    status = draw(st.sampled_from(sorted(FAILURE_STATUSES)))
    return Failure(
        status=status, at_stage=draw(st.sampled_from(PROGRESS_STAGES)), code=draw(st.integers(400, 599)), message="x"
    )


@st.composite
def schedules(draw: st.DrawFn) -> tuple[Lifecycle, Schedule]:
    lifecycle = draw(st.sampled_from([MUSIC, REPLACE]) | lifecycles())
    at = draw(st.floats(min_value=0, max_value=2e9, allow_nan=False))
    return lifecycle, plan(lifecycle, at, draw(st.none() | failures()))


def probe_times(schedule: Schedule, offsets: list[float]) -> list[float]:
    """Sorted times around the schedule: the drawn offsets plus every step time and just before it."""
    times = [schedule.created_at + offset for offset in offsets]
    for step in schedule.steps:
        times += [step.at, step.at - 1e-3]
    return sorted(times)


def test_music_lifecycle_with_documented_default_offsets() -> None:
    schedule = plan(MUSIC, 1000.0)
    assert [(s.at, s.stage, s.status) for s in schedule.steps] == [
        (1020.0, Stage.TEXT, Status.TEXT_SUCCESS),
        (1035.0, Stage.FIRST, Status.FIRST_SUCCESS),
        (1150.0, Stage.COMPLETE, Status.SUCCESS),
    ]
    assert status_at(schedule, 1019.9) == Status.PENDING
    assert status_at(schedule, 1020.0) == Status.TEXT_SUCCESS
    assert status_at(schedule, 1149.9) == Status.FIRST_SUCCESS
    assert status_at(schedule, 1150.0) == Status.SUCCESS


def test_replace_lifecycle_has_complete_only() -> None:
    assert plan(REPLACE, 0.0).steps == (Step(at=60.0, stage=Stage.COMPLETE, status=Status.SUCCESS),)


def test_failure_at_first_keeps_text_and_fails_at_first_time() -> None:
    failure = Failure(Status.GENERATE_AUDIO_FAILED, Stage.FIRST, 500, "audio failed")
    schedule = plan(MUSIC, 0.0, failure)
    assert [(s.at, s.stage, s.status) for s in schedule.steps] == [
        (20.0, Stage.TEXT, Status.TEXT_SUCCESS),
        (35.0, Stage.ERROR, Status.GENERATE_AUDIO_FAILED),
    ]


@pytest.mark.parametrize("lifecycle", [MUSIC, REPLACE])
def test_create_task_failed_happens_at_submission(lifecycle: Lifecycle) -> None:
    failure = Failure(Status.CREATE_TASK_FAILED, Stage.FIRST, 400, "bad request")
    schedule = plan(lifecycle, 5.0, failure)
    assert schedule.steps == (Step(at=5.0, stage=Stage.ERROR, status=Status.CREATE_TASK_FAILED),)
    assert status_at(schedule, 5.0) == Status.CREATE_TASK_FAILED


def test_replace_failure_at_text_fails_at_complete_time() -> None:
    failure = Failure(Status.SENSITIVE_WORD_ERROR, Stage.TEXT, 400, "sensitive word")
    schedule = plan(REPLACE, 0.0, failure)
    assert schedule.steps == (Step(at=60.0, stage=Stage.ERROR, status=Status.SENSITIVE_WORD_ERROR),)


def test_a_silent_step_changes_status_without_a_stage() -> None:
    cover = Lifecycle(
        "cover",
        (Progress(None, "GENERATING", 5.0), Progress(Stage.COMPLETE, "SUCCESS", 20.0)),
        frozenset({"CREATE_TASK_FAILED", "GENERATE_COVER_FAILED"}),
    )
    schedule = plan(cover, 0.0)
    assert [status_at(schedule, t) for t in (4.9, 5.0, 20.0)] == ["PENDING", "GENERATING", "SUCCESS"]
    failed = plan(cover, 0.0, Failure("GENERATE_COVER_FAILED", Stage.COMPLETE, 501, "x"))
    assert [(s.stage, s.status) for s in failed.steps] == [(None, "GENERATING"), (Stage.ERROR, "GENERATE_COVER_FAILED")]


def test_a_failure_the_kind_does_not_know_is_refused() -> None:
    with pytest.raises(ValueError, match="cannot fail with 'GENERATE_WAV_FAILED'"):
        plan(MUSIC, 0.0, Failure("GENERATE_WAV_FAILED", Stage.COMPLETE, 500, "x"))
    with pytest.raises(ValueError, match="text, first or complete"):
        Failure(Status.GENERATE_AUDIO_FAILED, Stage.ERROR, 500, "x")


@pytest.mark.parametrize(
    ("progress", "hint"),
    [
        ((), "at least one"),
        ((Progress(Stage.COMPLETE, "SUCCESS", -1.0),), "finite seconds >= 0"),
        ((Progress(Stage.TEXT, "A", 9.0), Progress(Stage.COMPLETE, "SUCCESS", 5.0)), "back in time"),
        ((Progress(Stage.COMPLETE, "A", 1.0), Progress(Stage.TEXT, "SUCCESS", 5.0)), "order"),
        ((Progress(Stage.ERROR, "SUCCESS", 1.0),), "never 'error'"),
    ],
)
def test_invalid_lifecycles_are_refused(progress: tuple[Progress, ...], hint: str) -> None:
    with pytest.raises(ValueError, match=hint):
        Lifecycle("bad", progress, FAILURE_STATUSES)


def test_schedule_rejects_steps_going_back_in_time() -> None:
    steps = (Step(10.0, Stage.TEXT, Status.TEXT_SUCCESS), Step(5.0, Stage.COMPLETE, Status.SUCCESS))
    with pytest.raises(ValueError, match="back in time"):
        Schedule("music", 0.0, steps)


def test_callback_exception_is_opt_in_and_only_after_failed_complete_delivery() -> None:
    mark = {"mark_callback_exception": True}
    assert status_after_delivery(MUSIC, Status.SUCCESS, Stage.COMPLETE, False) == Status.SUCCESS
    assert status_after_delivery(MUSIC, Status.SUCCESS, Stage.COMPLETE, False, **mark) == Status.CALLBACK_EXCEPTION
    assert status_after_delivery(MUSIC, Status.SUCCESS, Stage.COMPLETE, True, **mark) == Status.SUCCESS
    assert status_after_delivery(MUSIC, Status.TEXT_SUCCESS, Stage.TEXT, False, **mark) == Status.TEXT_SUCCESS
    failed = Status.GENERATE_AUDIO_FAILED
    assert status_after_delivery(MUSIC, failed, Stage.ERROR, False, **mark) == failed
    no_exception = Lifecycle("x", MUSIC.progress, frozenset({Status.CREATE_TASK_FAILED}))
    assert status_after_delivery(no_exception, Status.SUCCESS, Stage.COMPLETE, False, **mark) == Status.SUCCESS


@given(schedules())
def test_schedules_are_monotonic_and_end_terminal(drawn: tuple[Lifecycle, Schedule]) -> None:
    lifecycle, schedule = drawn
    times = [step.at for step in schedule.steps]
    assert times == sorted(times)
    assert all(at >= schedule.created_at for at in times)
    assert schedule.steps[-1].status in lifecycle.terminal
    assert not any(step.status in lifecycle.terminal for step in schedule.steps[:-1])


@given(schedules(), st.lists(st.floats(min_value=-10, max_value=1_100, allow_nan=False)))
def test_status_only_moves_forward_and_terminal_is_final(
    drawn: tuple[Lifecycle, Schedule], offsets: list[float]
) -> None:
    lifecycle, schedule = drawn
    order = {status: rank for rank, status in enumerate((lifecycle.pending, *(s.status for s in schedule.steps)))}
    statuses = [status_at(schedule, now, lifecycle.pending) for now in probe_times(schedule, offsets)]
    assert [order[s] for s in statuses] == sorted(order[s] for s in statuses)
    for earlier, later in itertools.pairwise(statuses):
        if earlier in lifecycle.terminal:
            assert later == earlier


@given(schedules())
def test_failure_emits_one_error_stage_last(drawn: tuple[Lifecycle, Schedule]) -> None:
    lifecycle, schedule = drawn
    stages = [step.stage for step in schedule.steps if step.stage is not None]
    failure = schedule.failure
    if failure is None:
        assert Stage.ERROR not in stages
        assert stages[-1] is Stage.COMPLETE
        assert schedule.steps[-1].status == lifecycle.success
        return
    assert stages.count(Stage.ERROR) == 1
    assert stages[-1] is Stage.ERROR
    assert schedule.steps[-1].status == failure.status
    assert all(PROGRESS_STAGES.index(stage) < PROGRESS_STAGES.index(failure.at_stage) for stage in stages[:-1])
    if failure.status in lifecycle.at_creation:
        assert schedule.steps == (Step(schedule.created_at, Stage.ERROR, failure.status),)


@given(schedules(), st.floats(min_value=0, max_value=2e9, allow_nan=False), st.lists(st.floats(-10, 1_100)))
def test_a_template_shifted_to_any_creation_time_is_that_times_plan(
    drawn: tuple[Lifecycle, Schedule], created_at: float, offsets: list[float]
) -> None:
    lifecycle, schedule = drawn
    template = plan(lifecycle, 0.0, schedule.failure)
    planned = plan(lifecycle, created_at, schedule.failure)
    assert shift(template, created_at) == planned  # the very same step times, to the last bit
    for now in probe_times(planned, offsets):
        assert status_at(template, now, offset=created_at) == status_at(planned, now)


def test_shift_needs_a_finite_time() -> None:
    with pytest.raises(ValueError, match="finite"):
        shift(plan(REPLACE, 0.0), float("nan"))
