/*
** This private header describes the migrations compiled into the binary
** (generated from the migrations folder at build time, see
** cmake/embed_migrations.cmake), in ascending version order.
*/
#ifndef PAYOUT_STORE_MIGRATIONS_H
#define PAYOUT_STORE_MIGRATIONS_H

struct store_migration {
    int version;      /* the file's number: 1 for 0001_init.sql */
    const char *name; /* the file name without .sql */
    const char *sql;  /* the whole file */
};

extern const struct store_migration store_migrations[];
extern const int store_migrations_count;

#endif /* PAYOUT_STORE_MIGRATIONS_H */
