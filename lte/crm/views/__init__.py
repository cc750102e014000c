"""The CRM pages, one module per subject: thin views over lte.crm.services (writes) and owner-scoped querysets
(reads).

Every object is fetched through `objects.owned_by(request.user)` or a service, so another account's id
is a 404, exactly like a missing one. Changes are POSTs that redirect (they work without JavaScript);
htmx requests get the partial the same view renders into its full page. The generic helpers (htmx, safe
`next`, a service's errors onto a form) are lte.lib.http.
"""
