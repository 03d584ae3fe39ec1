/* A file with no opening. */
int bare(void)
{
    return 0;
}
