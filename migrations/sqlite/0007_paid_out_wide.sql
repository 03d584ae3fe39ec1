-- 0007_paid_out_wide: the lifetime paid-out figure of a currency no longer
-- stops at PP_BALANCE_MINOR_MAX (10^18 - 1 minor units). It is a statistic:
-- once it reached that bound every later receive in the currency was
-- refused, forever. paid_out keeps its CHECK and becomes the figure modulo
-- 10^18; paid_out_e18 counts the whole 10^18s it carried, so the figure is
-- paid_out_e18 * 10^18 + paid_out, exact far beyond 2^63 (the server reads
-- and writes it as a 128-bit integer). available and blocked keep their
-- bound: they are money that can still move.

ALTER TABLE balances ADD COLUMN paid_out_e18 INTEGER NOT NULL DEFAULT 0
    CHECK (paid_out_e18 >= 0);
