/*
** This module implements nothing: a fixture for scripts/format_check.py,
** laid out as clang-format lays it out.
*/
int fixture_sum(int a, int b)
{
    return a + b;
}
