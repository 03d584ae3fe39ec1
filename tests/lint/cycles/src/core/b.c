#include "payout/core/a.h"
