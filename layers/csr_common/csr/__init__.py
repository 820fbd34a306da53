"""Shared package of the CSR Console API: models, rules, data access and cross-cutting helpers."""
