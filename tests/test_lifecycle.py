"""Tests for mockserver.lifecycle: examples for the documented flows, properties for the rest."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mockserver.lifecycle import (
    FAILURE_STATUSES,
    Failure,
    Flow,
    Schedule,
    Stage,
    Status,
    Step,
    Timings,
    due_stages,
    is_terminal,
    next_time,
    plan,
    shift,
    status_after_delivery,
    status_at,
)

# Position of each status in the documented order; all terminal statuses share the last rank.
RANK = {
    Status.PENDING: 0,
    Status.TEXT_SUCCESS: 1,
    Status.FIRST_SUCCESS: 2,
    **dict.fromkeys(FAILURE_STATUSES | {Status.SUCCESS}, 3),
}
PROGRESS = (Stage.TEXT, Stage.FIRST, Stage.COMPLETE)

seconds = st.floats(min_value=0, max_value=1_000, allow_nan=False, allow_infinity=False)


@st.composite
def timings(draw: st.DrawFn) -> Timings:
    text_s, first_s, complete_s = sorted(draw(st.tuples(seconds, seconds, seconds)))
    return Timings(text_s=text_s, first_s=first_s, complete_s=complete_s, replace_s=draw(seconds))


@st.composite
def failures(draw: st.DrawFn) -> Failure:
    status = draw(st.sampled_from(sorted(FAILURE_STATUSES)))
    stage = Stage.TEXT if status is Status.CREATE_TASK_FAILED else draw(st.sampled_from(PROGRESS))
    return Failure(
        status=status,
        at_stage=stage,
        code=draw(st.integers(400, 599)),
        message="injected",
    )


@st.composite
def schedules(draw: st.DrawFn) -> Schedule:
    return plan(
        draw(st.sampled_from(Flow)),
        draw(st.floats(min_value=0, max_value=2e9, allow_nan=False)),
        draw(timings()),
        draw(st.none() | failures()),
    )


def probe_times(schedule: Schedule, offsets: list[float]) -> list[float]:
    """Sorted times around the schedule: the drawn offsets plus every step time and just before it."""
    times = [schedule.created_at + offset for offset in offsets]
    for step in schedule.steps:
        times += [step.at, step.at - 1e-3]
    return sorted(times)


def drive(schedule: Schedule, times: list[float]) -> list[Stage]:
    """Play the driver: at each time emit the due stages and mark them sent."""
    sent: frozenset[Stage] = frozenset()
    emitted: list[Stage] = []
    for now in times:
        due = due_stages(schedule, now, sent)
        emitted += due
        sent |= frozenset(due)
    return emitted


def test_music_flow_with_default_timings() -> None:
    schedule = plan(Flow.MUSIC, 1000.0)
    assert [(s.at, s.stage, s.status) for s in schedule.steps] == [
        (1020.0, Stage.TEXT, Status.TEXT_SUCCESS),
        (1035.0, Stage.FIRST, Status.FIRST_SUCCESS),
        (1150.0, Stage.COMPLETE, Status.SUCCESS),
    ]
    assert status_at(schedule, 1019.9) is Status.PENDING
    assert status_at(schedule, 1020.0) is Status.TEXT_SUCCESS
    assert status_at(schedule, 1149.9) is Status.FIRST_SUCCESS
    assert status_at(schedule, 1150.0) is Status.SUCCESS
    assert due_stages(schedule, 1040.0, frozenset({Stage.TEXT})) == (Stage.FIRST,)
    assert next_time(schedule, 1020.0) == 1035.0
    assert next_time(schedule, 1150.0) is None


def test_replace_flow_with_default_timings() -> None:
    schedule = plan(Flow.REPLACE, 0.0)
    assert schedule.steps == (Step(at=60.0, stage=Stage.COMPLETE, status=Status.SUCCESS),)


def test_failure_at_first_keeps_text_and_fails_at_first_time() -> None:
    failure = Failure(Status.GENERATE_AUDIO_FAILED, Stage.FIRST, 500, "audio failed")
    schedule = plan(Flow.MUSIC, 0.0, failure=failure)
    assert [(s.at, s.stage, s.status) for s in schedule.steps] == [
        (20.0, Stage.TEXT, Status.TEXT_SUCCESS),
        (35.0, Stage.ERROR, Status.GENERATE_AUDIO_FAILED),
    ]


def test_create_task_failed_happens_at_submission() -> None:
    failure = Failure(Status.CREATE_TASK_FAILED, Stage.TEXT, 400, "bad request")
    for flow in Flow:
        schedule = plan(flow, 5.0, failure=failure)
        assert schedule.steps == (Step(at=5.0, stage=Stage.ERROR, status=Status.CREATE_TASK_FAILED),)
        assert status_at(schedule, 5.0) is Status.CREATE_TASK_FAILED


def test_replace_flow_failure_at_text_fails_at_complete_time() -> None:
    failure = Failure(Status.SENSITIVE_WORD_ERROR, Stage.TEXT, 400, "sensitive word")
    schedule = plan(Flow.REPLACE, 0.0, Timings(replace_s=7.0), failure)
    assert schedule.steps == (Step(at=7.0, stage=Stage.ERROR, status=Status.SENSITIVE_WORD_ERROR),)


@pytest.mark.parametrize(
    ("status", "stage", "hint"),
    [
        (Status.SUCCESS, Stage.TEXT, "must be one of"),
        (Status.PENDING, Stage.TEXT, "must be one of"),
        (Status.GENERATE_AUDIO_FAILED, Stage.ERROR, "text, first or complete"),
        (Status.CREATE_TASK_FAILED, Stage.FIRST, "at_stage=Stage.TEXT"),
    ],
)
def test_invalid_failures_are_rejected(status: Status, stage: Stage, hint: str) -> None:
    with pytest.raises(ValueError, match=hint):
        Failure(status, stage, 500, "x")


def test_timings_validation_and_scaling() -> None:
    with pytest.raises(ValueError, match="text_s <= first_s <= complete_s"):
        Timings(text_s=40.0, first_s=35.0)
    with pytest.raises(ValueError, match="replace_s"):
        Timings(replace_s=-1.0)
    with pytest.raises(ValueError, match="factor > 0"):
        Timings().scaled(0)
    assert Timings().scaled(0.1) == Timings(text_s=2.0, first_s=3.5, complete_s=15.0, replace_s=6.0)


def test_schedule_rejects_steps_going_back_in_time() -> None:
    steps = (
        Step(10.0, Stage.TEXT, Status.TEXT_SUCCESS),
        Step(5.0, Stage.COMPLETE, Status.SUCCESS),
    )
    with pytest.raises(ValueError, match="back in time"):
        Schedule(Flow.MUSIC, 0.0, steps)


def test_callback_exception_is_opt_in_and_only_after_failed_complete_delivery() -> None:
    mark = {"mark_callback_exception": True}
    assert status_after_delivery(Status.SUCCESS, Stage.COMPLETE, False) is Status.SUCCESS
    assert status_after_delivery(Status.SUCCESS, Stage.COMPLETE, False, **mark) is Status.CALLBACK_EXCEPTION
    assert status_after_delivery(Status.SUCCESS, Stage.COMPLETE, True, **mark) is Status.SUCCESS
    assert status_after_delivery(Status.TEXT_SUCCESS, Stage.TEXT, False, **mark) is Status.TEXT_SUCCESS
    failed = Status.GENERATE_AUDIO_FAILED
    assert status_after_delivery(failed, Stage.ERROR, False, **mark) is failed


@given(schedules())
def test_schedules_are_monotonic_and_end_terminal(schedule: Schedule) -> None:
    times = [step.at for step in schedule.steps]
    assert times == sorted(times)
    assert all(at >= schedule.created_at for at in times)
    assert is_terminal(schedule.steps[-1].status)
    assert not any(is_terminal(step.status) for step in schedule.steps[:-1])


@given(schedules(), st.lists(st.floats(min_value=-10, max_value=1_100, allow_nan=False)))
def test_status_only_moves_forward_and_terminal_is_final(schedule: Schedule, offsets: list[float]) -> None:
    statuses = [status_at(schedule, now) for now in probe_times(schedule, offsets)]
    ranks = [RANK[status] for status in statuses]
    assert ranks == sorted(ranks)
    for earlier, later in itertools.pairwise(statuses):
        if is_terminal(earlier):
            assert later is earlier


@given(schedules(), st.lists(st.floats(min_value=-10, max_value=1_100, allow_nan=False)))
def test_every_stage_is_due_exactly_once(schedule: Schedule, offsets: list[float]) -> None:
    end = schedule.steps[-1].at
    emitted = drive(schedule, [*probe_times(schedule, offsets), end])
    assert emitted == [step.stage for step in schedule.steps]
    assert len(set(emitted)) == len(emitted)


@given(schedules())
def test_driving_by_next_time_emits_every_stage_in_order(schedule: Schedule) -> None:
    times: list[float] = []
    upcoming = next_time(schedule, schedule.created_at - 1)
    while upcoming is not None:
        times.append(upcoming)
        upcoming = next_time(schedule, upcoming)
    assert times == sorted({step.at for step in schedule.steps})
    assert drive(schedule, times) == [step.stage for step in schedule.steps]


@given(schedules())
def test_replace_flow_never_emits_text_or_first(schedule: Schedule) -> None:
    if schedule.flow is Flow.REPLACE:
        assert {step.stage for step in schedule.steps} <= {Stage.COMPLETE, Stage.ERROR}
        assert len(schedule.steps) == 1


@given(schedules())
def test_failure_emits_one_error_stage_last(schedule: Schedule) -> None:
    stages = [step.stage for step in schedule.steps]
    failure = schedule.failure
    if failure is None:
        assert Stage.ERROR not in stages
        assert stages[-1] is Stage.COMPLETE
        assert schedule.steps[-1].status is Status.SUCCESS
        return
    assert stages.count(Stage.ERROR) == 1
    assert stages[-1] is Stage.ERROR
    assert schedule.steps[-1].status is failure.status
    assert all(PROGRESS.index(stage) < PROGRESS.index(failure.at_stage) for stage in stages[:-1])
    if failure.status is Status.CREATE_TASK_FAILED:
        assert schedule.steps == (Step(schedule.created_at, Stage.ERROR, Status.CREATE_TASK_FAILED),)


@given(
    st.sampled_from(Flow),
    st.floats(min_value=0, max_value=2e9, allow_nan=False),
    timings(),
    st.none() | failures(),
    st.lists(st.floats(min_value=-10, max_value=1_100, allow_nan=False)),
)
def test_a_template_shifted_to_any_creation_time_is_that_times_plan(
    flow: Flow, created_at: float, timings: Timings, failure: Failure | None, offsets: list[float]
) -> None:
    template = plan(flow, 0.0, timings, failure)
    planned = plan(flow, created_at, timings, failure)
    assert shift(template, created_at) == planned  # the very same step times, to the last bit
    for now in probe_times(planned, offsets):
        assert status_at(template, now, offset=created_at) is status_at(planned, now)


def test_shift_needs_a_finite_time() -> None:
    with pytest.raises(ValueError, match="finite"):
        shift(plan(Flow.REPLACE, 0.0), float("nan"))
