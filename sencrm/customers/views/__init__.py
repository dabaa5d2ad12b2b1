"""The customer pages, one module a screen family (like sales/views/): the contact list with its export
and bulk actions, a contact's page, its form, merge, the accounts' pages, caller ID and the suggestions
of the account and province boxes. What they share is in customers.py and core/record_views.py."""
