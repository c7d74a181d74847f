// licsat: one binary, many subcommands; everything lives in the library.
#include "cli/commands.h"

int main(int argc, char** argv) { return licsat::cli::run(argc, argv); }
