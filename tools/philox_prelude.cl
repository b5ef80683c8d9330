/* Input of the Philox prelude: preprocessed at build time (see CMakeLists.txt). */
#include <Random123/philox.h>
