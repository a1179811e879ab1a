import MPTCLI

GenerateCommand.main()
