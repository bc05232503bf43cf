#pragma once

#include "store/migrations.h"

namespace hubsync::catalog {

// Every migration HubSync ships: engine state (store, versions 1..99) and the synced tables derived
// from the catalog (versions 100..).
QList<Migration> allMigrations();

} // namespace hubsync::catalog
