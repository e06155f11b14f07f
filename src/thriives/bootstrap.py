"""The composition root: the one place that reads settings and wires the application.

Nothing in thriives opens a database or reads the environment at import time; the CLI,
the web server and the tests all call ``build``.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TextIO
from zoneinfo import ZoneInfo

from argon2 import PasswordHasher
from sqlalchemy import Engine

from thriives.adapters.audit_keys import load_keys
from thriives.adapters.db.engine import make_engine
from thriives.adapters.db.uow import UnitOfWorkFactory
from thriives.domain.assessment_policy import AssessmentPolicy
from thriives.domain.categories import CategoryPolicy
from thriives.domain.login_throttle import Backoff
from thriives.policy.loading import (
    load_assessment_policy,
    load_category_policy,
    load_dispatch_policy,
    load_intel_policy,
    load_link_policy,
    load_supervision_policy,
    load_time_window,
)
from thriives.services.account_admin import UserAdminService
from thriives.services.accounts import AccountService
from thriives.services.assessments import AssessmentService
from thriives.services.clocks import Clocks
from thriives.services.deadlines import DeadlineService
from thriives.services.dispatch import DispatchService
from thriives.services.follow_ups import FollowUpService
from thriives.services.incident_log import IncidentLogService
from thriives.services.incident_search import IncidentSearchService
from thriives.services.incidents import IncidentService
from thriives.services.initial_grades import InitialGradeService
from thriives.services.intel import IntelService
from thriives.services.links import LinkService
from thriives.services.qa_facts import FactsKeeper
from thriives.services.reassessments import ReassessmentService
from thriives.services.supervision import SupervisionService
from thriives.settings import Settings

Clock = Callable[[], datetime]
FIRST_WAIT = timedelta(seconds=2)  # the first log-in wait past the free failures; it doubles


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Container:
    settings: Settings
    engine: Engine
    uow: UnitOfWorkFactory
    policy: CategoryPolicy
    assessment_policy: AssessmentPolicy
    accounts: AccountService
    incidents: IncidentService
    assessments: AssessmentService
    intel: IntelService
    dispatch: DispatchService
    reassessments: ReassessmentService
    deadlines: DeadlineService
    supervision: SupervisionService
    links: LinkService
    incident_search: IncidentSearchService
    incident_log: IncidentLogService
    follow_ups: FollowUpService
    clock: Clock = field(default=utc_now)
    initial_grades: InitialGradeService = field(init=False)  # set by build()
    user_admin: UserAdminService = field(init=False)  # set by build()

    def close(self) -> None:
        self.engine.dispose()


def build(settings: Settings | None = None, clock: Clock = utc_now) -> Container:
    settings = settings or Settings()
    engine = make_engine(settings.database_url, settings.db_pool_size)
    uow = UnitOfWorkFactory(engine, load_keys(settings.audit_key_file, clock()))
    policy = load_category_policy(settings.policy_dir)
    assessment_policy = load_assessment_policy(settings.policy_dir, policy)
    hasher = PasswordHasher(time_cost=settings.argon2_time_cost, memory_cost=settings.argon2_memory_kib)
    accounts = AccountService(
        uow,
        hasher,
        Backoff(
            settings.login_free_failures, FIRST_WAIT, timedelta(seconds=settings.login_longest_wait_seconds)
        ),
        timedelta(minutes=settings.session_idle_minutes),
        demo=settings.demo,
        token_cache_seconds=settings.token_cache_seconds,
        source_backoff=Backoff(
            settings.login_source_free_failures,
            FIRST_WAIT,
            timedelta(seconds=settings.login_longest_wait_seconds),
        ),
        token_lifetime=timedelta(days=settings.token_days),
    )
    supervision_policy = load_supervision_policy(settings.policy_dir, assessment_policy)
    facts = FactsKeeper(supervision_policy, ZoneInfo(settings.force_timezone))
    dispatch_policy = load_dispatch_policy(settings.policy_dir, assessment_policy, policy)
    intel_policy = load_intel_policy(settings.policy_dir, assessment_policy)
    clocks = Clocks(assessment_policy, dispatch_policy, facts, intel_policy.hiding)
    window = load_time_window(settings.policy_dir)
    incidents = IncidentService(
        uow,
        policy,
        settings.force_timezone,
        settings.reference_prefix,
        assessment_policy,
        facts,
        clocks,
        window,
    )
    intel = IntelService(uow, intel_policy, facts)
    assessments = AssessmentService(uow, policy, assessment_policy, intel, clocks)
    container = Container(
        settings,
        engine,
        uow,
        policy,
        assessment_policy,
        accounts,
        incidents,
        assessments,
        intel,
        DispatchService(uow, assessment_policy, dispatch_policy, clocks, window),
        ReassessmentService(uow, clocks, settings.force_timezone),
        DeadlineService(uow, clocks),
        SupervisionService(
            uow, supervision_policy, policy, assessment_policy, clocks, facts, settings.force_timezone
        ),
        LinkService(uow, load_link_policy(settings.policy_dir, policy), settings.force_timezone, facts),
        IncidentSearchService(uow, policy, assessment_policy, settings.force_timezone),
        IncidentLogService(uow),
        FollowUpService(uow, clocks),
        clock,
    )
    container.initial_grades = InitialGradeService(uow, assessments)
    container.user_admin = UserAdminService(
        uow, hasher, accounts, timedelta(minutes=settings.session_idle_minutes)
    )
    return container


REQUEST_LOGGER = "thriives.requests"


class _StandardError(logging.StreamHandler[TextIO]):
    """Writes to whatever ``sys.stderr`` is at the time, as logging's own last resort does."""

    @property  # type: ignore[override,unused-ignore]
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, _value: TextIO) -> None:
        pass


def request_logger(settings: Settings) -> logging.Logger | None:
    """The request log (``THRIIVES_REQUEST_LOG``): the ``thriives.requests`` logger with one
    handler on standard error, lines stamped in UTC; None when the setting is off."""
    if not settings.request_log:
        return None
    logger = logging.getLogger(REQUEST_LOGGER)
    logger.setLevel(logging.INFO)
    if not any(isinstance(handler, _StandardError) for handler in logger.handlers):
        handler = _StandardError()
        formatter = logging.Formatter("%(asctime)sZ %(message)s", "%Y-%m-%dT%H:%M:%S")
        formatter.converter = time.gmtime
        handler.setFormatter(formatter)
        logger.addHandler(handler)
    return logger
