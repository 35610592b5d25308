"""A sandbox card acquirer: charges (authorise + capture) and refunds over HTTP.

Run it with ``switchboard bank`` (port 4010; ``BANK_PORT``, ``BANK_HOST``,
``BANK_DATABASE_URL``, ``BANK_SLOW_SECONDS``; ``--seed`` or ``BANK_SEED_DEMO=true`` records
the demo's payments in an empty ledger, see ``demo.py``). Like a real acquirer it wants an
API key on every ``/v1/`` request, ``Authorization: Bearer sk_test_…`` (``BANK_API_KEYS``, no
default; see ``auth.py``). Every write takes an ``Idempotency-Key`` header: the same key
with the same body answers the first result again (header ``Idempotent-Replayed: true``);
the same key with another body is refused with 409 ``idempotency_key_reused``.

Deterministic payment-method tokens drive every failure path:

==============================  ===============================================================
token                           behaviour of ``POST /v1/charges``
==============================  ===============================================================
tok_decline_insufficient_funds  402, charge recorded as ``declined``/``insufficient_funds``
tok_decline_expired             402, charge recorded as ``declined``/``expired_card``
tok_timeout                     captures and commits, then sleeps ``BANK_SLOW_SECONDS`` (30 s)
                                before answering: the caller times out although money moved.
                                A replay with the same key answers at once.
tok_error_5xx                   500 ``bank_error``; nothing is recorded, every time
tok_error_after_capture         captures and commits, then answers 500 ``bank_error``; a
                                replay with the same key answers the captured charge (201)
anything else                   201, captured
==============================  ===============================================================

Test-only hook: ``BANK_TEST_EXIT_AFTER_COMMIT=1`` makes the process SIGKILL itself right
after it committed a successful charge or refund and before it answers (the bank dying
mid-request). Never set it outside tests.
"""
