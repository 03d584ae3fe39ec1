/*
** This module implements nothing: a fixture for scripts/format_check.py,
** laid out by hand, which the check must report.
*/
int fixture_product(int a, int b) { return a*b; }
