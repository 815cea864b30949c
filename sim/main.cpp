// placeholder: the synod command line is being written.
int main() { return 0; }
