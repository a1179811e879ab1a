import MPTCLI

ConvertCommand.main()
