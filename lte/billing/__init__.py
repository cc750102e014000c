"""Billing through Stripe (Checkout, Customer Portal, webhooks): off unless STRIPE_SECRET_KEY is set.

Layer: above lte.accounts (it writes the plan lte.accounts.plans reads) and below lte.crm (which asks the plan's
limits). We hold ids, status, plan, currency and dates — never card data, which only Stripe's pages see.
"""
