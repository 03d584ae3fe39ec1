#include "payout/core/c.h"
