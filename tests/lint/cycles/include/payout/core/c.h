#include "payout/store/d.h"
