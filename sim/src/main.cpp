// handinger-sim: the simulator as a program (options: handinger-sim --help).
#include <handinger/sim/program.hpp>

int main(int argc, char** argv)
{
    return handinger::sim::run_program(argc, argv, "handinger-sim");
}
