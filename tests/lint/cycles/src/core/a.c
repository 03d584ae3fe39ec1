#include "payout/core/b.h"
