import MPTCLI

TokenizeCommand.main()
