"""Writes on the CRM, one module per subject. Keyword-only, typed, atomic; pages, the API, imports and jobs all
come through here (import from the subject's module: `from lte.crm.services.contacts import contact_create`).

Every function takes the `owner` and only ever touches that owner's rows: an id of someone else's row
raises the model's DoesNotExist, which the pages and the API turn into the same 404 as a missing row.

- normalise: what people type (text, emails, phones, labels, links, moments) and the limits on it
- index: what makes a contact findable (name tokens, blind indexes of emails and phones)
- contacts, stages, tags, notes, messages, followups, templates, activity: each subject's writes
- duplicates: possible duplicates, "not the same person", and merging

"""
