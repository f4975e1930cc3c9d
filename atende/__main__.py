from atende.cli import main

main()
