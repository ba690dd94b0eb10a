/* placeholder until txgen lands */
int main(void) { return 0; }
