"""The router's request path, one module per stage, in the order a request meets them.

    receive      HTTP → GraphQL request; media type, body size, CSRF      receive.py
    identify     who is calling; rate limit                                identify.py
    persisted    APQ and trusted documents (safelist)                      persisted.py
    parse        text → document, bounded in tokens; repeats merged        parse.py, collapse.py
    limits       depth, height, aliases, root fields, fields, fetches      limits.py
    validate     document against the API schema; the operation to run     validate.py
    authorize    fields the identity may not see                           authorize.py
    plan         query plan and response shaper (cached)                   plan.py
    execute      variables, fetches, introspection                         execute.py
    respond      shaped body and the HTTP response                         respond.py

New documents are parsed, limited, validated and planned on worker threads (workers.py),
cached (cache.py, bounded in entries and bytes) by text and operation name.

``router.gateway`` is the conductor that runs them; plugins (``router.plugins``) hook in
between. ``settings`` holds what the stages read from ``router.yaml`` (``GatewaySettings``)
and the security parts (token verifier, subgraph signer, rate limiter). Helpers used by one
stage live beside it: ``headers`` (header propagation rules), ``overrides``
(progressive-override labels), ``ratelimit``, ``manifest``, ``introspection`` and
``typename_aliases``.
"""
