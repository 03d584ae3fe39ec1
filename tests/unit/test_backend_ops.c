/*
** Unit test of the store's backend tables (src/store/backend.h): every
** operation of every built-in backend is filled in. The table is a struct
** of the backend's name and function pointers; a slot left NULL (an
** operation added to the interface but not to one backend) would crash
** the server the first time a request reaches it, so this fails first.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "payout/store/store.h" /* before the backend table, which uses its types */
#include "store/backend.h"

/* Fails naming the first NULL slot of ops (a slot = a pointer's size). */
static void assert_filled(const struct store_backend_ops *ops)
{
    _Static_assert(sizeof(struct store_backend_ops) % sizeof(void *) == 0,
                   "the table holds pointers only");
    size_t slots = sizeof *ops / sizeof(void *);
    const unsigned char *bytes = (const unsigned char *)ops;
    assert_non_null(ops->name);
    for (size_t i = 0; i < slots; i++) {
        void *slot = NULL;
        memcpy(&slot, bytes + i * sizeof(void *), sizeof slot);
        if (slot == NULL) {
            fail_msg("backend %s: operation slot %zu of %zu is empty (see the order of "
                     "struct store_backend_ops)",
                     ops->name, i, slots);
        }
    }
}

static void test_sqlite_ops_filled(void **state)
{
    (void)state;
    assert_filled(&store_sqlite_ops);
    assert_string_equal(store_sqlite_ops.name, "sqlite");
}

static void test_pg_ops_filled(void **state)
{
    (void)state;
    assert_filled(&store_pg_ops);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sqlite_ops_filled),
        cmocka_unit_test(test_pg_ops_filled),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
