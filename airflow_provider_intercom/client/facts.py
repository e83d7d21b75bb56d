"""Intercom's API facts, each defined once.

Everything else in the package -- the client, the connection contract, validation, the bulk
engine and the bundled emulator -- imports these values from here. The sources are Intercom's
OpenAPI description of REST API 2.16 and its developer documentation (see ``SOURCES.md`` of the
shared API contract); where Intercom documents nothing, the comment says what is assumed.

This module imports nothing, so that anything may import it cheaply.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

# -- Hosts ---------------------------------------------------------------------------------------

#: Intercom's regional REST API hosts.
API_BASE_URLS: Mapping[str, str] = {
    "us": "https://api.intercom.io",
    "eu": "https://api.eu.intercom.io",
    "au": "https://api.au.intercom.io",
}
#: Where each region's inbox lives, for "View in Intercom" links.
APP_BASE_URLS: Mapping[str, str] = {
    "us": "https://app.intercom.com",
    "eu": "https://app.eu.intercom.com",
    "au": "https://app.au.intercom.com",
}
REGIONS: tuple[str, ...] = tuple(API_BASE_URLS)
DEFAULT_REGION = "us"

# -- Versions ------------------------------------------------------------------------------------

#: Intercom's names for its unstable version: it renamed ``Unstable`` to ``Preview`` on 2026-04-11
#: (intercom/Intercom-OpenAPI, "Rename unstable to preview"); both are accepted, ``Preview`` first.
PREVIEW_API_VERSIONS: tuple[str, ...] = ("Preview", "Unstable")
#: The ``intercom_version`` enum of the 2.16 description, plus the unstable version's names.
API_VERSIONS: tuple[str, ...] = (
    *(f"1.{minor}" for minor in range(5)),
    *(f"2.{minor}" for minor in range(17)),
    *PREVIEW_API_VERSIONS,
)
#: The newest stable version; the client pins it so that response shapes do not change when
#: someone edits the app's default version in Intercom's Developer Hub.
NEWEST_API_VERSION = "2.16"
DEFAULT_API_VERSION = NEWEST_API_VERSION
#: The version a real app answers in when no ``Intercom-Version`` header is sent is the app's own
#: default (set in the Developer Hub, often older); the emulator assumes this one unless told.
EMULATOR_APP_DEFAULT_VERSION = NEWEST_API_VERSION

# -- Errors --------------------------------------------------------------------------------------

#: Error codes that say the token or the workspace's plan is wrong, whatever the request and its
#: status: every request of the connection fails alike (Intercom's "Error codes" page; the 2.16
#: description shows ``api_plan_restricted`` and ``token_unauthorized``). A 401 means the same.
ACCOUNT_WIDE_ERROR_CODES = frozenset(
    {"api_plan_restricted", "token_revoked", "token_blocked", "token_not_found", "token_unauthorized", "token_expired"}
)
#: Codes of a 404 that say the conversation itself is missing (deleted, or another workspace's):
#: a fact about that id. A 404 with another code names something else that is missing, such as
#: ``admin_not_found`` or ``assignee_not_found``, which is the same for every id.
CONVERSATION_NOT_FOUND_CODES = frozenset({"not_found", "conversation_not_found"})

# -- Paging and search ---------------------------------------------------------------------------

#: Largest ``per_page`` of ``POST /conversations/search``.
MAX_SEARCH_PAGE_SIZE = 150
#: ``per_page`` when a search gives none.
DEFAULT_SEARCH_PAGE_SIZE = 20
#: Search operators of a single filter, and of a group.
SEARCH_OPERATORS = frozenset({"=", "!=", "IN", "NIN", "<", ">", "<=", ">=", "~", "!~", "^", "$"})
SEARCH_GROUP_OPERATORS = frozenset({"AND", "OR"})
#: Intercom's documented search limits: two levels of nesting, fifteen filters per group.
MAX_SEARCH_NESTING = 2
MAX_FILTERS_PER_GROUP = 15
#: Conversation ids are decimal digit strings; 32 digits leaves ample headroom.
MAX_CONVERSATION_ID_LENGTH = 32

# -- Workspace lists ------------------------------------------------------------------------------

Listable = Literal["tags", "admins", "teams"]
#: ``GET /tags``, ``/admins`` and ``/teams``: the key of each answer that holds the list.
LISTS: Mapping[Listable, str] = {"tags": "data", "admins": "admins", "teams": "teams"}

# -- Rate limits ---------------------------------------------------------------------------------

#: Private apps: 10,000 calls per minute per app, enforced in 10-second windows. The client takes
#: the window from here, never from the answers (a proxy's headers could make it look shorter);
#: only tests against a server with shorter windows set another.
RATE_LIMIT_WINDOW_SECONDS = 10
APP_RATE_LIMIT_PER_WINDOW = 1667
#: 25,000 calls per minute per workspace, shared by all of its apps.
WORKSPACE_RATE_LIMIT_PER_WINDOW = 4167
RATE_LIMIT_HEADERS = ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset")

#: "The maximum number of conversation parts that can be returned via the API is 500. If you have
#: more than that we will return the 500 most recent conversation parts." (2.16, Retrieve a conversation)
MAX_RETURNED_PARTS = 500
#: "You can include up to 10 URLs" (``admin_reply_conversation_request.attachment_urls``).
MAX_ATTACHMENT_URLS = 10
#: ``message_type`` of an admin reply: ``comment`` is seen by the customer, ``note`` by teammates only.
REPLY_MESSAGE_TYPES = ("comment", "note")

# -- Client defaults -----------------------------------------------------------------------------

DEFAULT_TIMEOUT = 30.0
DEFAULT_MAX_RETRIES = 5
DEFAULT_MAX_RETRY_TIME = 300.0
MAX_RETRIES_LIMIT = 20
#: Seconds the Test button and the link lookup wait at most.
QUICK_TIMEOUT = 10.0

# -- Bulk defaults -------------------------------------------------------------------------------

#: What the bulk summary keeps of each updated conversation: enough to act on downstream, small
#: enough that 50,000 of them fit in XCom.
DEFAULT_XCOM_FIELDS: tuple[str, ...] = ("id", "read", "state", "updated_at")
#: Bytes the bulk summary's ``updated`` list may take in its full form (one entry per id, as
#: JSON); a larger list is summarised as ranges of input positions (about 3,500 ids by default).
FULL_SUMMARY_BYTES = 256 * 1024
#: The bulk operators' ``summary`` values: ``auto`` switches to ranges past
#: :data:`FULL_SUMMARY_BYTES`; ``full`` always lists each updated id.
SUMMARY_MODES: tuple[str, ...] = ("auto", "full")
#: Seconds one id may spend waiting out 429s before it fails as ``rate_limited``.
DEFAULT_RATE_LIMIT_BUDGET = 300.0
#: Seconds between progress lines in the task log.
DEFAULT_PROGRESS_INTERVAL = 10.0
#: Hard ceiling on requests in flight in one bulk run.
MAX_CONCURRENCY_LIMIT = 256

# -- Messages: exactly once (docs/messages.md) ----------------------------------------------------

#: Seconds of clock difference allowed between the worker and Intercom when a part's
#: ``created_at`` is compared with when it was sent.
CLOCK_SKEW_SECONDS = 120.0
#: Seconds between the two read-backs that must both miss a message before it is sent again.
READ_BACK_GAP_SECONDS = 3.0
#: Seconds of sends one write-ahead record of a bulk message run covers, at most.
WRITE_AHEAD_SECONDS = 1.0
#: How long a message run that succeeded keeps its record of what it posted, so that clearing the
#: task posts nothing twice.
MESSAGE_RECORD_RETENTION_DAYS = 30

# -- Emulator ------------------------------------------------------------------------------------

#: A lower per-app limit than the default, reported for some apps (83 calls per 10 s window).
REPORTED_LOW_APP_RATE_LIMIT_PER_WINDOW = 83
