"""Use-cases of call-time intelligence: search, attach a person to an incident, open a
restricted marker, and read back what was searched and found on an incident."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from thriives.adapters.db.uow import SqlUnitOfWork, UnitOfWorkFactory
from thriives.domain.accounts import Actor, Permission, can, require
from thriives.domain.assessment import Raise
from thriives.domain.audit_chain import Operation
from thriives.domain.errors import DomainError, NotFound
from thriives.domain.intel import (
    LinkRole,
    MarkerView,
    is_active,
    parse_query,
    require_justification,
    summarise,
    visible,
)
from thriives.domain.intel_policy import IntelPolicy
from thriives.domain.matching import Match, Query, likely, query_keys, rank
from thriives.services.consultations import consulted
from thriives.services.qa_facts import FactsKeeper

RESTRICTED_CAUSE = "a restricted record raises the risk"
TERMS = ("name", "date_of_birth", "phone", "address", "postcode", "registration")


@dataclass(frozen=True)
class SearchResult:
    search_id: int
    query: Query
    matches: list[dict[str, Any]]  # best first: person, explanation, markers, history
    considered: int  # how many people shared a key with the query (each key read up to per_key)
    capped: bool  # so many share these terms that some were not read: add a term to narrow it
    likely: int | None  # the person id to put first as "likely the person", if any


def _terms(query: Query) -> dict[str, Any]:
    """The search as recorded: normalised, so the record shows what was actually looked for."""
    return {
        "name": asdict(query.name) if query.name else None,
        "date_of_birth": query.dob.isoformat() if query.dob else None,
        "phone": query.phone,
        "address": query.address.line if query.address else None,
        "registration": query.registration,
    }


class IntelService:
    def __init__(self, uow: UnitOfWorkFactory, policy: IntelPolicy, facts: FactsKeeper | None = None) -> None:
        self._uow = uow
        self.policy = policy
        self.facts = facts

    def search(
        self,
        actor: Actor,
        terms: dict[str, str | None],
        now: datetime,
        reference: str | None = None,
        justification: str | None = None,
    ) -> SearchResult:
        """Find people matching what the caller gave, explained, and record the search.

        1. Check the terms (each fault named) and, with no incident, the justification.
        2. Read candidates by blocking key (each key bounded), score a shortlist, rank. A
           protected address (see ``protected_places``) plays no part: it brings no one
           into the shortlist, scores nothing and is explained nowhere, whoever searches.
        3. Read the shown people's details (without protected addresses), markers
           (restricted ones only for roles that may see them, without detail) and
           12-month history.
        4. Record the search on the incident and audit it as a consultation, in one commit.
        """
        require(actor.role, Permission.SEARCH_INTEL)
        query = parse_query(now.date(), **{k: terms.get(k) for k in TERMS})
        why = require_justification(justification) if reference is None else f"call {reference}"
        keys = query_keys(query)
        hiding, today = self.policy.hiding, now.date()
        with self._uow() as uow:
            incident = uow.incidents.require(reference) if reference else None
            ids, considered = uow.intel.shortlist(
                keys, self.policy.per_key, self.policy.shortlist, hiding, today
            )
            withheld = uow.intel.protected_places(ids, hiding, today)
            facts = uow.intel.facts(ids, frozenset(withheld))
            matches = rank(query, facts, self.policy.bands, self.policy.shown)
            shown = self._describe(uow, actor, matches, now, withheld)
        best = likely(matches, self.policy.bands)
        with self._uow(write=True) as uow:
            search_id = uow.intel.record_search(
                {
                    "incident_id": incident["id"] if incident else None,
                    "actor": actor.username,
                    "searched_at": now,
                    "terms": _terms(query),
                    "result_count": len(shown),
                    "results": [
                        {"person_id": m.person_id, "score": m.score, "band": m.band} for m in matches
                    ],
                    "justification": why,
                }
            )
            if incident is not None and self.facts is not None:
                self.facts.searched(uow, incident["id"])
            uow.journal.audit(
                now,
                actor.username,
                Operation.CONSULTATION,
                "search",
                str(search_id),
                why,
                {
                    "people": [m.person_id for m in matches],
                    "fields": sorted(k for k, v in _terms(query).items() if v),
                },
            )
            if incident:
                uow.journal.event(
                    now,
                    actor.username,
                    "intel.searched",
                    {"search_id": search_id, "results": len(shown), "reference": reference},
                    incident["id"],
                )
            uow.commit()
        broad = considered >= self.policy.per_key
        return SearchResult(search_id, query, shown, considered, broad, best.person_id if best else None)

    def _describe(
        self,
        uow: SqlUnitOfWork,
        actor: Actor,
        matches: list[Match],
        now: datetime,
        withheld: set[int],
    ) -> list[dict[str, Any]]:
        """Each match as this user may see it. Protected addresses are left out for every
        role, co-residents' included; only a role that may see restricted markers is told
        that an address was withheld (it sees the marker too, and may open it)."""
        ids = [m.person_id for m in matches]
        people = uow.intel.people(ids)
        address_ids = [a["id"] for p in people.values() for a in p["addresses"]]
        by_person: dict[int, list[MarkerView]] = {pid: [] for pid in ids}
        residents: dict[int, list[int]] = {}
        for pid, p in people.items():
            for a in p["addresses"]:
                residents.setdefault(a["id"], []).append(pid)
        for row in uow.intel.markers_of(ids, address_ids):
            view = self._view(row, actor, now)
            if view is None:
                continue
            for pid in [row["person_id"]] if row["person_id"] else residents.get(row["address_id"], []):
                if pid in by_person:
                    by_person[pid].append(view)
        history = uow.intel.history(ids, now - timedelta(days=self.policy.history_days))
        entitled = can(actor.role, Permission.VIEW_RESTRICTED_INTEL)
        shown = []
        for match in matches:
            person = people[match.person_id]
            kept = [a for a in person["addresses"] if a["id"] not in withheld]
            hidden = len(kept) < len(person["addresses"])
            person = person | {"addresses": kept, "address_withheld": entitled and hidden}
            shown.append(
                {
                    "person": person,
                    "match": match,
                    "markers": by_person[match.person_id],
                    "history": summarise(history.get(match.person_id, []), now, self.policy),
                }
            )
        return shown

    def _view(self, row: dict[str, Any], actor: Actor, now: datetime) -> MarkerView | None:
        kind = self.policy.markers.get(row["kind"])
        if kind is None or not is_active(row["valid_from"], row["valid_to"], now.date()):
            return None
        if not visible(kind, can(actor.role, Permission.VIEW_RESTRICTED_INTEL)):
            return None
        return MarkerView(
            row["id"],
            kind.code,
            kind.label,
            kind.restricted,
            row["origin"],
            row["valid_from"],
            row["valid_to"],
            None if kind.restricted else row["detail"],
        )

    def attach(
        self,
        actor: Actor,
        reference: str,
        person_id: int,
        role: str,
        now: datetime,
        search_id: int | None = None,
    ) -> dict[str, Any]:
        """Link a person found by a search on this incident to it in a role; the markers
        follow. Only someone that search showed can be attached: attaching any record by
        its number would let a handler read what a restricted marker does to the proposal
        for people no search of theirs had found. Attaching changes the incident (its
        assessment), so it needs both permissions."""
        require(actor.role, Permission.SEARCH_INTEL)
        require(actor.role, Permission.UPDATE_INCIDENT)
        try:
            link_role = LinkRole(role)
        except ValueError:
            raise DomainError(f"must be one of {', '.join(LinkRole)}", "role") from None
        if search_id is None:
            raise DomainError("attach a person from a search made on this incident", "search_id")
        with self._uow(write=True) as uow:
            incident = uow.incidents.require(reference)
            found = uow.intel.search(search_id)
            if found is None or found["incident_id"] != incident["id"]:
                raise DomainError("is not a search made on this incident", "search_id")
            if person_id not in {int(r["person_id"]) for r in found["results"]}:
                raise DomainError("was not among the people that search found", "person_id")
            added = uow.intel.link(
                {
                    "incident_id": incident["id"],
                    "person_id": person_id,
                    "role": link_role.value,
                    "search_id": search_id,
                    "linked_by": actor.username,
                    "linked_at": now,
                }
            )
            if added:
                data = {"person_id": person_id, "role": link_role.value, "search_id": search_id}
                uow.journal.event(now, actor.username, "intel.attached", data, incident["id"])
                uow.journal.audit(
                    now,
                    actor.username,
                    Operation.COMBINATION,
                    "incident",
                    reference,
                    f"call {reference}",
                    data,
                )
                uow.commit()
        return {"person_id": person_id, "role": link_role.value, "added": added}

    def open_marker(
        self, actor: Actor, marker_id: int, justification: str | None, now: datetime
    ) -> dict[str, Any]:
        """Show a restricted marker in full; only to roles that may, and only with a reason."""
        require(actor.role, Permission.VIEW_RESTRICTED_INTEL)
        why = require_justification(justification)
        with self._uow(write=True) as uow:
            row = uow.intel.marker(marker_id)
            if row is None:
                raise NotFound(f"no marker {marker_id}", "marker_id")
            kind = self.policy.markers.get(row["kind"])
            person = uow.intel.people([row["person_id"]]).get(row["person_id"]) if row["person_id"] else None
            place = uow.intel.addresses([row["address_id"]]) if row["address_id"] else []
            uow.journal.audit(now, actor.username, Operation.CONSULTATION, "marker", str(marker_id), why)
            uow.commit()
        result = dict(row) | {"label": kind.label if kind else row["kind"]}
        if kind is not None and kind.hides_address:  # the address, now a reason is recorded
            result["addresses"] = person["addresses"] if person is not None else place
        return result

    def record(self, actor: Actor, reference: str, now: datetime) -> dict[str, Any]:
        """What was searched on an incident, when, by whom, and who was attached; the
        reading is audited."""
        require(actor.role, Permission.VIEW_INCIDENT)
        with self._uow(write=True) as uow:
            incident = uow.incidents.require(reference)
            found = {
                "searches": uow.intel.searches_of(incident["id"]),
                "links": uow.intel.links_of(incident["id"]),
            }
            consulted(uow, actor, incident["reference"], now, "searches")
            uow.commit()
        return found

    def da_flags(self, uow: SqlUnitOfWork, phone: str, now: datetime) -> tuple[str, ...]:
        """Why a caller's number is flagged for domestic abuse on the records, if it is: the
        active DA markers (by label; a restricted one as "restricted marker") of its owners."""
        flags = []
        for row in uow.intel.markers_by_phone(phone):
            kind = self.policy.markers.get(row["kind"])
            if kind and kind.domestic_abuse and is_active(row["valid_from"], row["valid_to"], now.date()):
                flags.append(f"on record: {'restricted marker' if kind.restricted else kind.label}")
        return tuple(dict.fromkeys(flags))

    def raises(self, uow: SqlUnitOfWork, incident_id: str, now: datetime) -> tuple[Raise, ...]:
        """The factor levels implied by the active markers of the people attached to an incident.

        A restricted marker raises the same factors to the same levels whatever its kind
        (``restricted_raises``), once however many there are, with the cause "a restricted
        record raises the risk": neither the proposal nor the assessment record discloses
        which kind it is to a handler who may not open it.
        """
        ids = sorted({link["person_id"] for link in uow.intel.links_of(incident_id)})
        if not ids:
            return ()
        places = [a["id"] for p in uow.intel.people(ids).values() for a in p["addresses"]]
        found: list[Raise] = []
        restricted = False
        for row in uow.intel.markers_of(ids, places):
            kind = self.policy.markers.get(row["kind"])
            if kind is None or not is_active(row["valid_from"], row["valid_to"], now.date()):
                continue
            if kind.restricted:
                restricted = True
                continue
            for factor, level in kind.raises.items():
                found.append(Raise(factor, level, f"marker:{row['id']}", kind.label))
        if restricted:
            for factor, level in self.policy.restricted_raises.items():
                found.append(Raise(factor, level, "marker:restricted", RESTRICTED_CAUSE))
        return tuple(found)
