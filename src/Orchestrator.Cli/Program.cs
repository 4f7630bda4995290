Console.WriteLine("orchestrate");
